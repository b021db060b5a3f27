package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Tool finds an external program a test needs (a browser, systemd-analyze)
// by path or name. When it is missing the test fails in CI (the CI
// environment variable is set: .ci/run installs every tool) and is skipped
// with the install hint on a developer machine.
func Tool(t testing.TB, name, installHint string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: %s", name, installHint)
	}
	t.Skipf("%s not found: %s (CI runs this test)", name, installHint)
	return ""
}

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

// TestVerifyCommandHeads: verify --heads takes the chain heads status
// --json showed (or lines "tenant/stream manifest sha256") and fails when
// one is no longer in its chain; a heads file it cannot use is a usage
// error.
func TestVerifyCommandHeads(t *testing.T) {
	f := buildFixture(t)
	code, report, stderr := entra(t, "status", "--config", f.config, "--json")
	if code != cli.ExitOK || !strings.Contains(report, `"chain_head": {`) {
		t.Fatalf("status --json: exit %d, stderr %s\n%s", code, stderr, report)
	}
	dir := t.TempDir()
	heads := filepath.Join(dir, "heads.json")
	if err := os.WriteFile(heads, []byte(report), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := entra(t, "verify", "--config", f.config, "--heads", heads)
	if code != cli.ExitOK || !strings.Contains(stdout, ", 1 recorded chain head(s) in ") || !strings.HasSuffix(stdout, ": no faults\n") {
		t.Fatalf("verify --heads of the current head: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	// A head recorded with other bytes than the manifest now has: the chain
	// was rewritten since.
	i := strings.Index(report, `"manifest": "`) + len(`"manifest": "`)
	manifest := report[i : i+strings.IndexByte(report[i:], '"')]
	line := "contoso/interactive-signins " + manifest + " " + strings.Repeat("0", 64) + "\n"
	lines := filepath.Join(dir, "heads.txt")
	if err := os.WriteFile(lines, []byte("# from ticket 4711\n"+line), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = entra(t, "verify", "--config", f.config, "--heads", lines)
	if code != cli.ExitFailure || !strings.Contains(stdout, "FAULT contoso/interactive-signins/"+manifest+
		": the chain was rewritten: recorded as the chain head in "+lines+" line 2 with sha256 000000000000…") {
		t.Fatalf("verify --heads of a head no longer in the chain: exit %d\n%s", code, stdout)
	}

	for _, tc := range []struct{ content, want string }{
		{"contoso/provisioning " + manifest + " " + strings.Repeat("0", 64), "names contoso/provisioning, which is not a configured job"},
		{"contoso/interactive-signins " + manifest, `line 1: want "tenant/stream manifest sha256"`},
	} {
		if err := os.WriteFile(lines, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := entra(t, "verify", "--config", f.config, "--heads", lines)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("verify --heads %q: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.content, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := entra(t, "verify", "--config", f.config, "--heads", filepath.Join(dir, "none")); code != cli.ExitUsage || !strings.Contains(stderr, "--heads: open") {
		t.Errorf("verify --heads of a missing file: exit %d, %q", code, stderr)
	}
}

package cli_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

// TestDemo runs the README's first command twice: the first run archives
// two days of six streams, the second only what is new, and the result
// verifies clean.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-archive")
	newRecords := regexp.MustCompile(`This run archived (\d+) new records in (\d+) new blobs\.`)
	run := func() (records, blobs int) {
		t.Helper()
		code, stdout, stderr := entra(t, "demo", "--dir", dir)
		m := newRecords.FindStringSubmatch(stdout)
		if code != cli.ExitOK || m == nil {
			t.Fatalf("demo: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		for _, stream := range []string{"interactive-signins", "noninteractive-signins", "serviceprincipal-signins",
			"managedidentity-signins", "directory-audits", "provisioning"} {
			if !strings.Contains(stdout, "\n"+stream+" ") {
				t.Errorf("demo output has no row for %s:\n%s", stream, stdout)
			}
		}
		records, _ = strconv.Atoi(m[1])
		blobs, _ = strconv.Atoi(m[2])
		return records, blobs
	}
	if records, blobs := run(); records < 50_000 || blobs < 500 {
		t.Fatalf("first demo run archived %d records in %d blobs, want two days of six streams", records, blobs)
	}
	// The second run finds only the records that settled in between.
	if records, _ := run(); records > 1000 {
		t.Fatalf("second demo run archived %d records: not incremental", records)
	}
	config := filepath.Join(t.TempDir(), "demo.yaml")
	text := fmt.Sprintf(`storage: {type: local, local: {path: %q}}
defaults: {streams: [all], formats: [jsonl, csv]}
tenants:
  - name: demo
    tenant_id: 8f5b1f9e-3c2a-4d7b-9e61-2a4c8d0e7f13
    auth: {client_id: 2d6e0c1a-7b39-4f85-a2d4-9c3e5f7a1b60, client_secret_env: CONTOSO_SECRET}
`, dir)
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := entra(t, "verify", "--config", config)
	// The simulated Graph serves about one record in 20,000 without a time
	// or id, as production does: verify reports them, not as faults.
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if code != cli.ExitOK || !strings.HasPrefix(last, "verified 6 job(s): ") || !strings.HasSuffix(last, ": no faults") {
		t.Fatalf("verify of the demo archive: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestHumanLogsOnATerminal: a command a person runs on a terminal logs
// human text, whatever log.format says; piped, or for the daemon, it logs
// as configured (JSON by default).
func TestHumanLogsOnATerminal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := "storage: {type: local, local: {path: " + filepath.Join(t.TempDir(), "archive") + "}}\n" +
		"tenants:\n  - name: contoso\n    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n" +
		"    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: X_SECRET}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		terminal, daemon bool
		want             string
	}{
		{true, false, "console"},
		{false, false, "json"},
		{true, true, "json"},
	} {
		inv := &invocation{stdout: io.Discard, stderr: &bytes.Buffer{}, env: env{"X_SECRET=s"}, ctx: context.Background(),
			daemon: tc.daemon, isTerminal: func(io.Writer) bool { return tc.terminal }}
		cfg, ok := inv.loadConfig(path)
		if !ok {
			t.Fatal(inv.stderr)
		}
		if cfg.Log.Format != tc.want {
			t.Errorf("terminal %v, daemon %v: log format %q, want %q", tc.terminal, tc.daemon, cfg.Log.Format, tc.want)
		}
	}
}

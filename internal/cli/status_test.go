package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/cli"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

// runStatusCLI runs the command line and returns its exit code and output.
func runStatusCLI(t *testing.T, environ []string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.MainContext(context.Background(), args, &stdout, &stderr, environ)
	return code, stdout.String(), stderr.String()
}

// wantStatusOutput renders what status should print at now.
func wantStatusOutput(t *testing.T, f *statustest.Fixture, now time.Time, asJSON bool) string {
	t.Helper()
	o := f.Options()
	o.Now = func() time.Time { return now }
	rep, err := status.Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if asJSON {
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(rep)
	} else {
		err = status.WriteText(&b, rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestStatusCommand: the command prints what Collect reports for the
// configured jobs at the moment it ran, as a table or as JSON, and exits 0
// although a job's last run failed.
func TestStatusCommand(t *testing.T) {
	f := statustest.Build(t, time.Now())
	// The table: the command read the clock between before and after, and
	// the report changes at most once a second (lag) in that span.
	args := []string{"status", "--config", f.ConfigPath}
	before := time.Now()
	code, stdout, stderr := runStatusCLI(t, f.Env, args...)
	after := time.Now()
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
	}
	if stdout != wantStatusOutput(t, f, before, false) && stdout != wantStatusOutput(t, f, after, false) {
		t.Errorf("%v printed\n%s\nwant\n%s", args, stdout, wantStatusOutput(t, f, after, false))
	}

	// JSON: the report as of the time it names.
	args = append(args, "--json")
	code, stdout, stderr = runStatusCLI(t, f.Env, args...)
	if code != cli.ExitOK || stderr != "" {
		t.Fatalf("%v: exit %d, stderr %q", args, code, stderr)
	}
	var rep status.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if want := wantStatusOutput(t, f, rep.Generated, true); stdout != want {
		t.Errorf("%v printed\n%s\nwant\n%s", args, stdout, want)
	}
	if strings.Contains(stdout, f.Secret) {
		t.Errorf("%v printed the client secret", args)
	}

	// The JSON field names are a contract.
	var doc struct {
		Generated string           `json:"generated"`
		Rows      []map[string]any `json:"rows"`
		Coverage  []struct {
			Tenant, Stream string
			Days           []map[string]any `json:"days"`
		} `json:"coverage"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	prov := doc.Rows[3]
	for _, key := range []string{"tenant", "stream", "schedule", "partition", "never_run", "start", "watermark",
		"lag_seconds", "retention_seconds", "retention_edge", "retention_risk", "sealed_through", "last_run",
		"lost", "lost_seconds", "quarantined", "records_per_day", "budget_need_ratio"} {
		if _, ok := prov[key]; !ok {
			t.Errorf("JSON row lacks %q: %v", key, prov)
		}
	}
	lastRun, _ := prov["last_run"].(map[string]any)
	if lastRun["result"] != "failed" || !strings.Contains(lastRun["error"].(string), statustest.FailureText) || prov["retention_risk"] != true {
		t.Errorf("provisioning row %v: want a failed last run with its error, at retention risk", prov)
	}
	if day := doc.Coverage[0].Days[34]; day["state"] != "partial" || day["records"] == nil || day["date"] == nil {
		t.Errorf("today's coverage of contoso/interactive-signins = %v", day)
	}
	// Known losses, quarantine and the budget need, as the configuration
	// (recheck [2h, 24h], 5 requests per 10 s, every 15 minutes) and the
	// observed volumes make them.
	signins, audits := doc.Rows[0], doc.Rows[1]
	wantRatio := 3 * (96 + 12_000 + 96 + 100) / 43_200.0
	lost, _ := audits["lost"].([]any)
	span, _ := lost[0].(map[string]any)
	if len(lost) != 1 || span["from"] != f.NeverRead.From.Format(time.RFC3339) || span["to"] != f.NeverRead.To.Format(time.RFC3339) ||
		span["recheck"] != "" || span["reason"] != statustest.NeverReadReason || audits["lost_seconds"] != 6*3600.0 {
		t.Errorf("contoso/directory-audits lost %v (%v seconds), want %+v", audits["lost"], audits["lost_seconds"], f.NeverRead)
	}
	if signins["quarantined"] != 2.0 || signins["lost_seconds"] != 0.0 || signins["budget_need_ratio"] != wantRatio || audits["budget_need_ratio"] != wantRatio {
		t.Errorf("contoso rows: quarantined %v, lost %v s, budget need %v and %v; want 2, 0, %v",
			signins["quarantined"], signins["lost_seconds"], signins["budget_need_ratio"], audits["budget_need_ratio"], wantRatio)
	}
	if lost, _ := prov["lost"].([]any); lost == nil || len(lost) != 0 {
		t.Errorf("provisioning lost %v, want an empty list", prov["lost"])
	}
}

// TestStatusCommandUnreadableState: a job whose state cannot be read is
// reported in its row, the others still print, and the exit code is 1.
func TestStatusCommandUnreadableState(t *testing.T) {
	f := statustest.Build(t, time.Now())
	doc := filepath.Join(f.Dir, "_state", "contoso", "directory-audits.json")
	if err := os.WriteFile(doc, []byte(`{"version": 1, "watermark": `), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runStatusCLI(t, f.Env, "status", "--config", f.ConfigPath)
	if code != cli.ExitFailure {
		t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "the status of 1 of 4 jobs could not be read from storage") {
		t.Errorf("stderr %q", stderr)
	}
	lines := strings.Split(stdout, "\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[2], "contoso   directory-audits     ?") ||
		!strings.Contains(lines[2], "unreadable") || !strings.Contains(lines[2], "is not valid JSON") {
		t.Errorf("row of the unreadable state:\n%s", stdout)
	}
	if !strings.HasPrefix(lines[1], "contoso   interactive-signins  ") || !strings.Contains(lines[1], " ok ") {
		t.Errorf("the other rows must still print:\n%s", stdout)
	}
}

func TestStatusCommandErrors(t *testing.T) {
	f := statustest.Build(t, time.Now())
	cfgText, err := os.ReadFile(f.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	badStorage := filepath.Join(t.TempDir(), "bad-storage.yaml")
	text := strings.Replace(string(cfgText), f.Dir, notAFolder, 1)
	if err := os.WriteFile(badStorage, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		environ []string
		args    []string
		code    int
		stderr  string
	}{
		{"no config", nil, []string{"status"}, cli.ExitUsage, "no configuration"},
		{"stray argument", f.Env, []string{"status", "--config", f.ConfigPath, "extra"}, cli.ExitUsage, `unexpected argument "extra"`},
		{"storage unusable", f.Env, []string{"status", "--config", badStorage}, cli.ExitFailure, "open storage: create archive folder " + notAFolder},
		{"help", nil, []string{"status", "-h"}, cli.ExitOK, "even if jobs failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runStatusCLI(t, tc.environ, tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and stderr containing %q", code, stdout, stderr, tc.code, tc.stderr)
			}
			if strings.Contains(stderr, f.Secret) {
				t.Error("stderr shows the client secret")
			}
		})
	}
}

func TestStatusIsListed(t *testing.T) {
	_, _, stderr := runStatusCLI(t, nil, "help")
	if !strings.Contains(stderr, "status    watermarks, lag, last run and retention risk per job") {
		t.Errorf("usage lacks the status command:\n%s", stderr)
	}
}

// TestReadOnlyCommandsNeedNoGraphSecret: status, verify, export and config
// check without --online only read storage, so a configuration whose
// tenants' client secret is not in the environment serves them; once,
// which talks to Graph, still names the missing variable.
func TestReadOnlyCommandsNeedNoGraphSecret(t *testing.T) {
	f := statustest.Build(t, time.Now())
	noSecret := []string{"ENTRA_ARCHIVER_CONFIG=" + f.ConfigPath}
	day := time.Now().UTC().Add(-24 * time.Hour).Format("2006-01-02")
	// config check passes, and warns that the commands that talk to Graph
	// will need the secret.
	if code, _, stderr := runStatusCLI(t, noSecret, "config", "check"); code != cli.ExitOK ||
		!strings.Contains(stderr, "warning: ") || !strings.Contains(stderr, statustest.SecretEnv+" is not set: run, once and backfill need it") {
		t.Errorf("config check without the Graph secret: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{
		{"status"}, {"status", "--json"},
		{"export", "--tenant", "contoso", "--stream", "directory-audits", "--from", day, "--to", day + "T01:00:00Z", "--format", "jsonl", "-o", filepath.Join(t.TempDir(), "out.jsonl")},
	} {
		code, _, stderr := runStatusCLI(t, noSecret, args...)
		if code != cli.ExitOK || strings.Contains(stderr, statustest.SecretEnv) {
			t.Errorf("%v without the Graph secret: exit %d\n%s", args, code, stderr)
		}
	}
	if code, _, stderr := runStatusCLI(t, noSecret, "verify"); code == cli.ExitUsage || strings.Contains(stderr, statustest.SecretEnv) {
		t.Errorf("verify without the Graph secret: exit %d (2 is a config error)\n%s", code, stderr)
	}
	if code, _, stderr := runStatusCLI(t, noSecret, "once"); code != cli.ExitUsage || !strings.Contains(stderr, statustest.SecretEnv) {
		t.Errorf("once without the Graph secret: exit %d, want 2 naming %s\n%s", code, statustest.SecretEnv, stderr)
	}
}

// TestStatusCommandShowsUnlistedStreams: a configuration that no longer
// names a tenant, and no longer lists a stream of another, still shows
// what storage holds of them, marked "configured": false in JSON, in the
// partition their archive has (fabrikam's days, though hour is the
// default).
func TestStatusCommandShowsUnlistedStreams(t *testing.T) {
	f := statustest.Build(t, time.Now())
	cfgText, err := os.ReadFile(f.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	text, _, _ := strings.Cut(string(cfgText), "  - name: fabrikam")
	text = strings.Replace(text, "    start: 50h\n", "    start: 50h\n    streams: [interactive-signins]\n", 1)
	if text == string(cfgText) || !strings.Contains(text, "streams: [interactive-signins]") {
		t.Fatal("the fixture's configuration changed; update this test")
	}
	path := filepath.Join(t.TempDir(), "fewer.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runStatusCLI(t, f.Env, "status", "--config", path, "--json")
	if code != cli.ExitOK {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var doc struct {
		Rows []struct {
			Tenant, Stream, Partition string
			Configured                *bool `json:"configured"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range doc.Rows {
		if r.Configured == nil {
			t.Fatalf("row %s/%s has no \"configured\"", r.Tenant, r.Stream)
		}
		got = append(got, fmt.Sprintf("%s/%s %s configured=%v", r.Tenant, r.Stream, r.Partition, *r.Configured))
	}
	want := []string{"contoso/interactive-signins hour configured=true", "contoso/directory-audits hour configured=false",
		"fabrikam/provisioning day configured=false"}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n%q\nwant\n%q", got, want)
	}
}

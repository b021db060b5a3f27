package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

const (
	checkTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	checkClient = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
	checkSecret = "check-Secret~never-printed"
)

// checkConfig writes a config whose tenant signs in at authority (a URL)
// and returns its path and the archive folder.
func checkConfig(t *testing.T, authority, extra string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	text := fmt.Sprintf(`http: {listen: ""}
storage: {type: local, local: {path: %q}}
tenants:
  - name: contoso
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: CHECK_SECRET}
    graph_endpoint: https://127.0.0.1:9
    authority_host: %s
    disable_instance_discovery: true
%s`, archive, checkTenant, checkClient, authority, extra)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, archive
}

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.MainContext(context.Background(), args, &stdout, &stderr, []string{"CHECK_SECRET=" + checkSecret})
	if strings.Contains(stdout.String()+stderr.String(), checkSecret) {
		t.Errorf("the secret is printed:\n%s\n%s", stdout.String(), stderr.String())
	}
	return code, stdout.String(), stderr.String()
}

// TestConfigCheckExitCodes: 0 for a valid config (offline), 1 when an
// online check fails, 2 for usage and configuration errors, which stop
// before any online check.
func TestConfigCheckExitCodes(t *testing.T) {
	// An authority over plain http is refused by azidentity before any
	// request: a token check that fails at once, without a network.
	path, _ := checkConfig(t, "http://127.0.0.1:9/", "")
	bad, _ := checkConfig(t, "http://127.0.0.1:9/", "    streams: [nosuch]\n")
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string // a part of stdout ("" = stdout must be empty)
		stderrPart string
	}{
		{"offline", []string{"config", "check", "--config", path}, 0, path + ": OK (1 tenants, 2 jobs, storage local, state storage)\n", ""},
		{"online failure", []string{"config", "check", "--online", "--config", path}, 1, "3 of 4 checks failed\n", ""},
		{"config error", []string{"config", "check", "--online", "--config", bad}, 2, "", "tenants[0].streams"},
		{"no subcommand", []string{"config"}, 2, "", "usage: entra-archiver config check --config FILE [--online]"},
		{"unknown flag", []string{"config", "check", "--offline"}, 2, "", "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCheck(t, c.args...)
			if code != c.code || (c.stdout == "") != (stdout == "") || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderrPart) {
				t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
		})
	}
}

// TestConfigCheckOnlineTable: the online result is an aligned table, one
// row per check, FAIL rows saying what to fix.
func TestConfigCheckOnlineTable(t *testing.T) {
	path, archive := checkConfig(t, "http://127.0.0.1:9/", "")
	code, stdout, _ := runCheck(t, "config", "check", "--online", "--config", path)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	want := []*regexp.Regexp{
		regexp.MustCompile(`^` + regexp.QuoteMeta(path) + `: OK \(1 tenants, 2 jobs, storage local, state storage\)$`),
		regexp.MustCompile(`^TENANT +STREAM +CHECK +RESULT +DETAIL$`),
		regexp.MustCompile(`^- +- +storage +OK +wrote and deleted _probe/[0-9a-f]{16} in folder ` + regexp.QuoteMeta(archive) + `$`),
		regexp.MustCompile(`^contoso +- +token +FAIL +tenant ` + checkTenant + `, client_id ` + checkClient +
			`, client secret from environment variable CHECK_SECRET: .*https`),
		regexp.MustCompile(`^contoso +interactive-signins +query +FAIL +not run: no token$`),
		regexp.MustCompile(`^contoso +directory-audits +query +FAIL +not run: no token$`),
		regexp.MustCompile(`^3 of 4 checks failed$`),
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), stdout)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d: %q does not match %s", i, lines[i], re)
		}
	}
	// Columns line up with the header's.
	header := lines[1]
	for _, col := range []string{"CHECK", "RESULT", "DETAIL"} {
		at := strings.Index(header, col)
		for _, l := range lines[2:6] {
			if len(l) <= at || l[at-1] != ' ' || l[at] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q", col, at, l)
			}
		}
	}
}

// TestConfigCheckCloudWarnings: a stream the tenant's cloud does not
// document is a warning on stderr naming tenant, stream and cloud; the
// configuration is still valid (exit 0), since US Government sign-ins may
// work.
func TestConfigCheckCloudWarnings(t *testing.T) {
	path, _ := checkConfig(t, "http://127.0.0.1:9/", `    cloud: china
    streams: [directory-audits]
  - name: gov
    tenant_id: `+checkTenant+`
    cloud: usgov
    auth: {client_id: `+checkClient+`, client_secret_env: CHECK_SECRET}
    streams: [interactive-signins, provisioning]
`)
	code, stdout, stderr := runCheck(t, "config", "check", "--config", path)
	if code != 0 || stdout != path+": OK (2 tenants, 3 jobs, storage local, state storage)\n"+
		"Graph credentials were checked for form only: --online gets a token for every tenant.\n" {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	want := []string{
		`warning: tenants[0].streams: tenant "contoso" archives directory-audits, but Graph does not serve directory audits in cloud china ` +
			`(it answers 400 "Resource not found for the segment …"): remove the stream from the tenant's streams`,
		`warning: tenants[1].streams: tenant "gov" archives interactive-signins, but Graph documents sign-in logs for the public cloud only, ` +
			`not for usgov: it may work there but is unverified; if the stream keeps failing, remove it from the tenant's streams`,
	}
	if got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); !slices.Equal(got, want) {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, strings.Join(want, "\n"))
	}
}

// TestConfigCheckWarnsAboutLossyOrMisspeltSettings: config check passes (exit
// 0) a csv-only archive and a filter on a property the stream's records do
// not have, and warns about each, saying what is lost or what to check.
func TestConfigCheckWarnsAboutLossyOrMisspeltSettings(t *testing.T) {
	path, _ := checkConfig(t, "http://127.0.0.1:9/", "    formats: [csv]\n    filter: {interactive-signins: \"status/errorcode ne 0 or userPrincipleName eq 'x'\"}\n")
	code, stdout, stderr := runCheck(t, "config", "check", "--config", path)
	if code != cli.ExitOK || !strings.Contains(stdout, ": OK (") {
		t.Fatalf("exit %d, stdout %q, stderr %q; want OK with warnings", code, stdout, stderr)
	}
	for _, want := range []string{
		"warning: tenants[0].formats: csv only is lossy",
		"not as jsonl or json, with --where or with --columns portal; add jsonl",
		`warning: tenants[0].filter.interactive-signins: property "status/errorcode" is documented as "status/errorCode"`,
		`warning: tenants[0].filter.interactive-signins: property "userPrincipleName" is not a documented property of interactive-signins records`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

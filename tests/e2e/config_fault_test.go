package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// badConfigBase is a valid configuration; each case below breaks one thing.
const badConfigBase = `storage: {type: local, local: {path: /nonexistent/archive}}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-secret, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_SECRET}
`

// TestBadConfigOneClearMessage is the bad-config table, end to end:
// one representative of every class of configuration mistake, through the
// real binary's `config check`. Each exits 2 with nothing on stdout and
// exactly one problem line that starts with the key path (the file itself
// for file-level problems) and says what is wrong.
func TestBadConfigOneClearMessage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		class string
		// edit turns the valid base into the broken file.
		edit func(base string) string
		// env is the environment besides PATH; nil means the secret only.
		env []string
		// path is the key path the problem must name ("" = the file).
		path string
		// says is part of the message.
		says string
	}{
		{"YAML syntax", func(b string) string { return b + "defaults: {settle: 15m\n" }, nil, "", "line"},
		{"tab indentation", func(b string) string { return b + "defaults:\n\tsettle: 15m\n" }, nil, "", "line 7"},
		{"unknown key (typo)", add("defaults: {setle: 15m}"), nil, "defaults.setle", "did you mean settle?"},
		{"mapping expected", add("http: [a]"), nil, "http", "must be a mapping"},
		{"wrong scalar type", add("defaults: {rate_limit: {requests: many, per: 10s}}"), nil, "defaults.rate_limit.requests", "whole number"},
		{"number out of range", add("graph: {app_rate_limit: {requests: 0, per: 10s}}"), nil, "graph.app_rate_limit.requests", "greater than 0"},
		{"unknown enumeration value", add("log: {level: verbose}"), nil, "log.level", "want debug, info, warn or error"},
		{"bad duration", add("defaults: {settle: 15 minutes}"), nil, "defaults.settle", "bad duration"},
		{"bad cron schedule", add("defaults: {schedule: 'every 15m'}"), nil, "defaults.schedule", "bad schedule"},
		{"unknown stream", add("defaults: {streams: [signins]}"), nil, "defaults.streams[0]", `unknown stream "signins"`},
		{"item listed twice", add("defaults: {formats: [jsonl, jsonl]}"), nil, "defaults.formats[1]", "listed twice"},
		{"ages out of order", add("defaults: {recheck: [24h, 2h]}"), nil, "defaults.recheck[1]", "must be greater than"},
		{"keys in conflict", add("defaults: {settle: 3h}"), nil, "defaults.settle", "less than every recheck age"},
		{"bad start", add("defaults: {start: yesterday}"), nil, "defaults.start", "bad start"},
		{"bad listen address", add("http: {listen: nope}"), nil, "http.listen", "host:port"},
		{"required key missing", del("    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n"), nil, "tenants[0].tenant_id", "required"},
		{"not a GUID", swap("tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47", "tenant_id: contoso.onmicrosoft.com"), nil, "tenants[0].tenant_id", "not a GUID"},
		{"bad name", swap("name: contoso", "name: Contoso Corp"), nil, "tenants[0].name", "a-z, 0-9 and -"},
		{"duplicate name", func(b string) string {
			i := strings.Index(b, "  - name:")
			return b + strings.Replace(b[i:], "db47", "db48", 1)
		}, nil, "tenants[1].name", "duplicate of tenants[0]"},
		{"no tenant", func(b string) string { return b[:strings.Index(b, "tenants:")] }, nil, "tenants", "at least one tenant"},
		{"secret variable unset", func(b string) string { return b }, []string{}, "tenants[0].auth.client_secret_env", "CONTOSO_SECRET is not set"},
		{"secret pasted into a *_env key", swap("client_secret_env: CONTOSO_SECRET", "client_secret_env: 'x8Q~pasted.Secret-Value'"), nil,
			"tenants[0].auth.client_secret_env", "must name an environment variable"},
		{"secret file unreadable", swap("client_secret_env: CONTOSO_SECRET", "client_secret_file: "+filepath.Join(dir, "missing")), nil,
			"tenants[0].auth.client_secret_file", "cannot read"},
		{"key of another auth method", swap("client_secret_env: CONTOSO_SECRET", "client_secret_env: CONTOSO_SECRET, certificate_file: /app.pem"), nil,
			"tenants[0].auth.certificate_file", "only used with auth method client-certificate"},
		{"filter syntax", addTenant("filter: {interactive-signins: 'status/errorCode ne'}"), nil, "tenants[0].filter.interactive-signins", "column 20"},
		{"unknown cloud", addTenant("cloud: mars"), nil, "tenants[0].cloud", "want public, usgov, usgov-dod or china"},
		{"endpoint without TLS", addTenant("graph_endpoint: http://graph.microsoft.com"), nil, "tenants[0].graph_endpoint", "must use https"},
		{"storage incomplete", swap("storage: {type: local, local: {path: /nonexistent/archive}}", "storage: {type: azblob, azblob: {container: logs}}"), nil,
			"storage.azblob.account_url", "required"},
		{"invalid container name", swap("storage: {type: local, local: {path: /nonexistent/archive}}",
			"storage: {type: azblob, azblob: {account_url: 'https://a.blob.core.windows.net', container: Entra_Logs}}"), nil,
			"storage.azblob.container", "not a valid container name"},
		{"state without its path", add("state: {type: file}"), nil, "state.path", "required"},
		{"bad environment override", func(b string) string { return b }, []string{"CONTOSO_SECRET=s3cret", "ENTRA_ARCHIVER_LOG__LEVEL=verbose"}, "log.level", "set by ENTRA_ARCHIVER_LOG__LEVEL"},
	}
	// Only the commands that talk to Graph refuse a Graph secret they
	// cannot read; config check warns.
	graphOnly := map[string]bool{"secret variable unset": true, "secret file unreadable": true}
	for i, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("config-%02d.yaml", i))
			if err := os.WriteFile(path, []byte(tt.edit(badConfigBase)), 0o600); err != nil {
				t.Fatal(err)
			}
			env := tt.env
			if env == nil {
				env = []string{"CONTOSO_SECRET=s3cret"}
			}
			p := &process{t: t, config: path, env: append(env, "PATH="+os.Getenv("PATH"))}
			command := []string{"config", "check"}
			if graphOnly[tt.class] {
				// config check only warns: status, verify and export do
				// not need the Graph secret. once does.
				command = []string{"once"}
				if code, _, stderr := p.run("config", "check"); code != 0 || !strings.Contains(stderr, "warning: "+tt.path+": ") {
					t.Fatalf("config check exited %d, want 0 with a warning at %s:\n%s", code, tt.path, stderr)
				}
			}
			code, stdout, stderr := p.run(command...)
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			keyPath := tt.path
			if keyPath == "" {
				keyPath = path
			}
			if code != 2 || stdout != "" || len(lines) != 2 || lines[0] != path+": 1 problem(s):" ||
				!strings.HasPrefix(lines[1], "  "+keyPath+": ") || !strings.Contains(lines[1], tt.says) {
				t.Fatalf("%v exited %d, stdout %q, stderr:\n%s\nwant exit 2 and one problem line \"  %s: …%s…\"",
					command, code, stdout, stderr, keyPath, tt.says)
			}
			if strings.Contains(stderr, "pasted.Secret") {
				t.Fatalf("the message echoes what looks like a secret: %s", lines[1])
			}
		})
	}
}

// TestBadConfigEveryCommand: every command that reads the configuration
// refuses a broken one the same way, exit 2 and the one problem, before
// doing any work.
func TestBadConfigEveryCommand(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(add("defaults: {setle: 15m}")(badConfigBase)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, config: path, env: []string{"CONTOSO_SECRET=s3cret", "PATH=" + os.Getenv("PATH")}}
	span := []string{"--tenant", "contoso", "--stream", "directory-audits", "--from", "2026-11-01", "--to", "2026-11-02"}
	for _, args := range [][]string{
		{"run"}, {"once"}, {"status"}, {"verify"}, {"config", "check"},
		append([]string{"backfill"}, span...),
		append([]string{"export", "--format", "jsonl"}, span...),
	} {
		code, stdout, stderr := p.run(args...)
		if code != 2 || stdout != "" || stderr != path+": 1 problem(s):\n  defaults.setle: unknown key (did you mean settle?)\n" {
			t.Errorf("%v exited %d, stdout %q, stderr %q; want exit 2 and the one problem", args, code, stdout, stderr)
		}
	}
}

// add appends top-level YAML to the base.
func add(yaml string) func(string) string {
	return func(b string) string { return b + yaml + "\n" }
}

// addTenant adds a key to the base's tenant.
func addTenant(yaml string) func(string) string {
	return func(b string) string { return b + "    " + yaml + "\n" }
}

// swap replaces old by new in the base, which must contain it.
func swap(old, new string) func(string) string {
	return func(b string) string {
		if !strings.Contains(b, old) {
			panic("base config lacks " + old)
		}
		return strings.Replace(b, old, new, 1)
	}
}

func del(s string) func(string) string { return swap(s, "") }

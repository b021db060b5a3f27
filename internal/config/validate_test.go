package config

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/odata"
)

func TestLoadInvalid(t *testing.T) {
	secretFile := writeFile(t, "secret", testSecret+"\n")
	emptyFile := writeFile(t, "empty", "")
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name string
		yaml string
		env  []string
		want []Problem
	}{
		{
			name: "unknown keys at every level",
			yaml: `
logs: {level: debug}
log: {lvl: debug}
storage: {type: local, locl: {path: x}}
tenants:
  - name: contoso
    tenantid: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {clientid: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_SECRET}
`,
			want: []Problem{
				{"log.lvl", "unknown key (did you mean level?)"},
				{"logs", "unknown key (did you mean log?)"},
				{"storage.locl", "unknown key (did you mean local?)"},
				{"tenants[0].auth.client_id", "required for auth method client-secret"},
				{"tenants[0].auth.clientid", "unknown key (did you mean client_id?)"},
				{"tenants[0].tenant_id", "required"},
				{"tenants[0].tenantid", "unknown key (did you mean tenant_id?)"},
			},
		},
		{
			name: "unknown key without a close match lists the known ones",
			yaml: "zzzzzzzz: 1\nlog: {xyzzy: 1}\n" + header + tenantYAML,
			want: []Problem{
				{"log.xyzzy", "unknown key (known: format, level)"},
				{"zzzzzzzz", "unknown key (known: defaults, graph, http, log, state, storage, tenants)"},
			},
		},
		{
			name: "wrong shapes",
			yaml: "log: info\nhttp: [a]\nstorage: {type: local}\ntenants: {name: contoso}\n",
			want: []Problem{
				{"http", "must be a mapping, got a list"},
				{"log", `must be a mapping, got "info"`},
				{"tenants", "must be a list, got a mapping"},
			},
		},
		{
			name: "enumerations",
			yaml: `
log: {level: verbose, format: text}
storage: {type: s3, azblob: {access_tier: hot}}
state: {type: etcd}
defaults: {compression: zstd, partition: minute, formats: [jsonl, xml, jsonl]}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    cloud: mars
    auth: {method: password}
`,
			want: []Problem{
				{"defaults.compression", `unknown compression "zstd" (want gzip or none)`},
				{"defaults.formats[1]", `unknown format "xml" (want jsonl, json or csv)`},
				{"defaults.formats[2]", "jsonl is listed twice"},
				{"defaults.partition", `unknown partition "minute" (want hour or day)`},
				{"log.format", `unknown log format "text" (want json or console)`},
				{"log.level", `unknown log level "verbose" (want debug, info, warn or error)`},
				{"state.type", `unknown state type "etcd" (want storage or file)`},
				{"storage.azblob.access_tier", `unknown access tier "hot" (want Hot, Cool, Cold or Archive)`},
				{"storage.type", `unknown storage type "s3" (want azblob or local)`},
				{"tenants[0].auth.method", `unknown auth method "password" (want client-secret, client-certificate, managed-identity, workload-identity, azure-cli or default)`},
				{"tenants[0].cloud", `unknown cloud "mars" (want public, usgov, usgov-dod or china)`},
			},
		},
		{
			name: "durations, rate limits and schedules",
			yaml: `
graph: {app_rate_limit: {requests: 0, per: 10}, request_timeout: 0s}
defaults:
  schedule: "every 15m"
  settle: 15 minutes
  retention_warning: -1d
  recheck: [2h, soon]
  rate_limit: {requests: -5, per: 0s}
  start: yesterday
` + header + tenantYAML + `
    schedule: "@every 15x"
    rate_limit: {requests: five}
`,
			want: []Problem{
				{"defaults.rate_limit.per", "must be greater than 0"},
				{"defaults.rate_limit.requests", "must be greater than 0"},
				{"defaults.recheck[1]", `bad duration "soon" (want e.g. 90s, 15m, 2h, 7d or 1d12h)`},
				{"defaults.retention_warning", "must not be negative"},
				{"defaults.schedule", `bad schedule "every 15m": expected exactly 5 fields, found 2: [every 15m]`},
				{"defaults.settle", `bad duration "15 minutes" (want e.g. 90s, 15m, 2h, 7d or 1d12h)`},
				{"defaults.start", `bad start "yesterday" (want "retention", an RFC 3339 time like 2026-11-01T00:00:00Z, or a duration back like 72h or 7d)`},
				{"graph.app_rate_limit.per", `bad duration "10" (want e.g. 90s, 15m, 2h, 7d or 1d12h)`},
				{"graph.app_rate_limit.requests", "must be greater than 0"},
				{"graph.request_timeout", "must be greater than 0"},
				{"tenants[0].rate_limit.requests", `must be a whole number, got "five"`},
				{"tenants[0].schedule", `bad schedule "@every 15x": failed to parse duration @every 15x: time: unknown unit "x" in duration "15x"`},
			},
		},
		{
			name: "@every shorter than a second",
			yaml: "defaults: {schedule: \"@every -5m\"}\n" + header + tenantYAML + "    schedule: \"@every 500ms\"\n",
			want: []Problem{
				{"defaults.schedule", `bad schedule "@every -5m": the @every interval must be at least 1s (for example @every 15m)`},
				{"tenants[0].schedule", `bad schedule "@every 500ms": the @every interval must be at least 1s (for example @every 15m)`},
			},
		},
		{
			name: "cron spec that makes the cron parser panic",
			yaml: "defaults: {schedule: TZ=UTC}\n" + header + tenantYAML,
			want: []Problem{{"defaults.schedule", `bad schedule "TZ=UTC": malformed spec`}},
		},
		{
			name: "recheck and settle",
			yaml: `
defaults: {settle: -1m, recheck: [24h, 2h, 2h]}
` + header + tenantYAML + `
    settle: 10m
    recheck: [5m, 1h]
  - name: fabrikam
    tenant_id: 0c5f3e3a-1d2b-4c6e-9f7a-8b9c0d1e2f3a
    settle: 3h
`,
			want: []Problem{
				{"defaults.recheck[1]", "must be greater than recheck[0] (1d)"},
				{"defaults.recheck[2]", "must be greater than recheck[1] (2h)"},
				{"defaults.settle", "must not be negative"},
				{"tenants[0].recheck[0]", "must be greater than settle (10m)"},
				{"tenants[1].settle", "must be less than every recheck age (recheck[1] is 2h)"},
			},
		},
		{
			name: "streams and filters",
			yaml: `
defaults:
  streams: [interactive-signins, signins]
  filter: {managedidentity-signins: "appId eq 'x'"}
` + header + tenantYAML + `
    streams: []
  - name: fabrikam
    tenant_id: 0c5f3e3a-1d2b-4c6e-9f7a-8b9c0d1e2f3a
    streams: [directory-audits]
    filter: {provisioning: "x eq 1", audits: "x eq 1", directory-audits: [x]}
`,
			want: []Problem{
				{"defaults.filter.managedidentity-signins", "stream is not selected by defaults.streams or by any tenant"},
				{"defaults.streams[1]", `unknown stream "signins" (known: interactive-signins, noninteractive-signins, serviceprincipal-signins, managedidentity-signins, directory-audits, provisioning, or all)`},
				{"tenants[0].streams", "must name at least one stream (or all)"},
				{"tenants[1].filter.audits", `unknown stream "audits" (known: interactive-signins, noninteractive-signins, serviceprincipal-signins, managedidentity-signins, directory-audits, provisioning)`},
				{"tenants[1].filter.directory-audits", "must be a string, got a list"},
				{"tenants[1].filter.provisioning", "stream is not selected (streams: directory-audits)"},
			},
		},
		{
			name: "filter for a stream the tenant does not select",
			yaml: header + tenantYAML + `
    streams: [directory-audits]
    filter: {provisioning: "x eq 1", directory-audits: "x eq 2"}
`,
			want: []Problem{{"tenants[0].filter.provisioning", "stream is not selected (streams: directory-audits)"}},
		},
		{
			name: "tenant names, ids and duplicates",
			yaml: header + tenantYAML + tenantYAML + `
  - name: Contoso_EU
    tenant_id: not-a-guid
  - tenant_id: "{72f988bf-86f1-41af-91ab-2d7cd011db47}"
  - name: ""
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
  -
  - name: ` + strings.Repeat("a", 64) + `
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
`,
			want: []Problem{
				{"tenants[1].name", "duplicate of tenants[0]"},
				{"tenants[2].name", `"Contoso_EU" must be 1 to 63 characters of a-z, 0-9 and -`},
				{"tenants[2].tenant_id", `"not-a-guid" is not a GUID (like 72f988bf-86f1-41af-91ab-2d7cd011db47)`},
				{"tenants[3].name", "required"},
				{"tenants[3].tenant_id", `"{72f988bf-86f1-41af-91ab-2d7cd011db47}" is not a GUID (like 72f988bf-86f1-41af-91ab-2d7cd011db47)`},
				{"tenants[4].name", `"" must be 1 to 63 characters of a-z, 0-9 and -`},
				{"tenants[5]", "empty entry"},
				{"tenants[6].name", `"` + strings.Repeat("a", 64) + `" must be 1 to 63 characters of a-z, 0-9 and -`},
			},
		},
		{
			name: "no tenants",
			yaml: "storage: {type: local}\ntenants: []\n",
			want: []Problem{{"tenants", "at least one tenant is required"}},
		},
		{
			name: "missing client ids and secrets",
			yaml: header + `
  - name: a
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-secret}
  - name: b
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-certificate, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346}
  - name: c
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: workload-identity}
  - name: d
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: app}
`,
			want: []Problem{
				{"tenants[0].auth.client_id", "required for auth method client-secret"},
				{"tenants[0].auth.client_secret_env", "required (or client_secret_file, or an inline client_secret)"},
				{"tenants[1].auth.certificate_file", "required for auth method client-certificate"},
				{"tenants[2].auth.client_id", "required for auth method workload-identity (or set AZURE_CLIENT_ID)"},
				{"tenants[2].auth.token_file", "required for auth method workload-identity (or set AZURE_FEDERATED_TOKEN_FILE)"},
				{"tenants[3].auth.client_id", `"app" is not a GUID (the application or client ID)`},
			},
		},
		{
			name: "secrets that cannot be resolved",
			yaml: header + `
  - name: a
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: UNSET_SECRET}
  - name: b
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: EMPTY_SECRET}
  - name: c
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_file: ` + missing + `}
  - name: d
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_file: ` + emptyFile + `}
  - name: e
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_SECRET, client_secret_file: ` + secretFile + `}
  - name: f
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret: ""}
  - name: g
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-certificate, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, certificate_file: ` + missing + `, certificate_password_env: UNSET_PASSWORD}
  - name: h
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-certificate, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, certificate_file: ` + emptyFile + `}
  - name: i
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_file: /dev/zero}
  - name: j
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-certificate, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, certificate_file: ` + dir + `}
`,
			env: []string{"EMPTY_SECRET="},
			want: []Problem{
				{"tenants[0].auth.client_secret_env", "environment variable UNSET_SECRET is not set"},
				{"tenants[1].auth.client_secret_env", "environment variable EMPTY_SECRET is empty"},
				{"tenants[2].auth.client_secret_file", "cannot read " + missing + ": no such file or directory"},
				{"tenants[3].auth.client_secret_file", emptyFile + " is empty"},
				{"tenants[4].auth.client_secret_file", "conflicts with client_secret_env (set only one of client_secret_env, client_secret_file, client_secret)"},
				{"tenants[5].auth.client_secret", "must not be empty"},
				{"tenants[6].auth.certificate_file", "cannot read " + missing + ": no such file or directory"},
				{"tenants[6].auth.certificate_password_env", "environment variable UNSET_PASSWORD is not set"},
				{"tenants[7].auth.certificate_file", emptyFile + " is empty"},
				{"tenants[8].auth.client_secret_file", "cannot read /dev/zero: not a regular file"},
				{"tenants[9].auth.certificate_file", "cannot read " + dir + ": not a regular file"},
			},
		},
		{
			name: "keys of another auth method",
			yaml: header + `
  - name: a
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: managed-identity, client_secret_env: CONTOSO_SECRET, certificate_file: x.pem, token_file: t}
`,
			want: []Problem{
				{"tenants[0].auth.certificate_file", "only used with auth method client-certificate (method is managed-identity)"},
				{"tenants[0].auth.client_secret_env", "only used with auth method client-secret (method is managed-identity)"},
				{"tenants[0].auth.token_file", "only used with auth method workload-identity (method is managed-identity)"},
			},
		},
		{
			name: "endpoints",
			yaml: `http: {listen: "9464"}` + header + tenantYAML + `
    graph_endpoint: https://graph.microsoft.com/v1.0
    authority_host: http://login.example.com/
  - name: b
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    graph_endpoint: https://graph.microsoft.com/
    authority_host: login.microsoftonline.com
`,
			want: []Problem{
				{"http.listen", `"9464" must be host:port (like 127.0.0.1:9464 or :9464)`},
				{"tenants[0].authority_host", `"http://login.example.com/" must use https`},
				{"tenants[0].graph_endpoint", `"https://graph.microsoft.com/v1.0" must not include the API version (like https://graph.microsoft.com)`},
				{"tenants[1].authority_host", `"login.microsoftonline.com" is not an absolute URL like https://host`},
			},
		},
		{
			name: "azblob without a connection",
			yaml: "storage: {type: azblob, azblob: {container: Entra_Logs, prefix: /logs}}\ntenants:" + tenantYAML,
			want: []Problem{
				{"storage.azblob.account_url", "required (or connection_string_env, connection_string_file or connection_string)"},
				{"storage.azblob.container", `"Entra_Logs" is not a valid container name (3 to 63 characters of a-z, 0-9 and single hyphens)`},
				{"storage.azblob.prefix", `"/logs" must be empty or end with / (and not start with one), like archive/`},
			},
		},
		{
			name: "azblob with two connection strings",
			yaml: `
storage:
  azblob:
    connection_string_env: CONN
    connection_string_file: /etc/conn
tenants:` + tenantYAML,
			want: []Problem{{"storage.azblob.connection_string_file", "conflicts with connection_string_env (set only one of account_url, connection_string_env, connection_string_file, connection_string)"}},
		},
		{
			name: "azblob connection string problems",
			yaml: `
state: {type: storage, path: /x}
storage:
  azblob:
    connection_string_env: UNSET_CONN
    auth: {method: managed-identity}
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
tenants:` + tenantYAML,
			want: []Problem{
				{"state.path", "only used with state type file"},
				{"storage.azblob.auth", "only used with account_url"},
				{"storage.azblob.connection_string_env", "environment variable UNSET_CONN is not set"},
				{"storage.azblob.tenant_id", "only used with account_url"},
			},
		},
		{
			name: "azblob account_url auth",
			yaml: `
storage:
  azblob:
    account_url: http://acct.blob.core.windows.net
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_SECRET}
tenants:` + tenantYAML,
			want: []Problem{
				{"storage.azblob.account_url", `"http://acct.blob.core.windows.net" must use https`},
				{"storage.azblob.tenant_id", "required for auth method client-secret"},
			},
		},
		{
			name: "state file without path",
			yaml: "state: {type: file}\n" + header + tenantYAML,
			want: []Problem{{"state.path", "required for state type file"}},
		},
		{
			name: "bad values from the environment name their variable",
			yaml: header + tenantYAML,
			env: []string{
				"ENTRA_ARCHIVER_LOG__LEVEL=loud",
				"ENTRA_ARCHIVER_LOG_LEVEL=debug",
				"ENTRA_ARCHIVER_TENANTS__0__AUTH__CLIENTID=x",
			},
			want: []Problem{
				{"log.level", `unknown log level "loud" (want debug, info, warn or error) (set by ENTRA_ARCHIVER_LOG__LEVEL)`},
				{"log_level", "unknown key (known: defaults, graph, http, log, state, storage, tenants; levels are separated by a double underscore, as in ENTRA_ARCHIVER_LOG__LEVEL) (set by ENTRA_ARCHIVER_LOG_LEVEL)"},
				{"tenants[0].auth.clientid", "unknown key (did you mean client_id?) (set by ENTRA_ARCHIVER_TENANTS__0__AUTH__CLIENTID)"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, err := load(t, tt.yaml, tt.env...)
			if err == nil {
				t.Fatalf("Load succeeded: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with an error")
			}
			got := problemsOf(t, err)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", (&Errors{got}).Error(), (&Errors{tt.want}).Error())
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	syntax := writeFile(t, "syntax.yaml", "log:\n  level: info\n   format: json\n")
	list := writeFile(t, "list.yaml", "- a\n- b\n")
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		path string
		want Problem
	}{
		{syntax, Problem{syntax, "line 3: mapping values are not allowed in this context"}},
		{list, Problem{list, "the file must hold a YAML mapping of keys (log, storage, tenants, …)"}},
		{missing, Problem{missing, "cannot open: no such file or directory"}},
		{dir, Problem{dir, "cannot read: is a directory"}},
	}
	for _, tt := range tests {
		_, _, err := Load(tt.path, nil)
		got := problemsOf(t, err)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Load(%s) = %v, want %v", filepath.Base(tt.path), got, tt.want)
		}
	}
}

func TestErrorsError(t *testing.T) {
	err := &Errors{Problems: []Problem{{"tenants[1].auth.client_id", "required"}, {"log.level", "bad"}}}
	want := "tenants[1].auth.client_id: required\nlog.level: bad"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestSortProblems(t *testing.T) {
	in := []Problem{
		{"tenants[10].name", "a"}, {"tenants[2].name", "b"}, {"log", "c"},
		{"tenants[2].name", "b"}, {"tenants[2].name", "a"}, {"tenants[2]", "d"},
	}
	want := []Problem{
		{"log", "c"}, {"tenants[2]", "d"}, {"tenants[2].name", "b"}, {"tenants[2].name", "a"}, {"tenants[10].name", "a"},
	}
	if got := sortProblems(in); !reflect.DeepEqual(got, want) {
		t.Errorf("sortProblems = %v, want %v", got, want)
	}
}

func TestWarnings(t *testing.T) {
	_, warnings, err := load(t, `
storage: {azblob: {connection_string: "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;"}}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret: inline-one}
  - name: fabrikam
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-certificate, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, certificate_file: `+certPEM(t)+`, certificate_password: pw}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"storage.azblob.connection_string: inline secret in the config file; prefer connection_string_env or connection_string_file",
		"tenants[0].auth.client_secret: inline secret in the config file; prefer client_secret_env or client_secret_file",
		"tenants[1].auth.certificate_password: inline secret in the config file; prefer certificate_password_env or certificate_password_file",
	}
	if !reflect.DeepEqual(warnings, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"))
	}
}

func TestFilterSyntaxError(t *testing.T) {
	const expr = "status/errorCode eqq 0"
	_, perr := odata.Parse(expr)
	if perr == nil || !strings.HasPrefix(perr.Error(), "column 18: ") {
		t.Fatalf("odata.Parse(%q) = %v, want an error at column 18", expr, perr)
	}
	_, _, err := load(t, "defaults: {filter: {directory-audits: \"activityDisplayName eq 'x' and\"}}\n"+header+tenantYAML+`
    filter: {interactive-signins: "`+expr+`"}
`)
	_, perr2 := odata.Parse("activityDisplayName eq 'x' and")
	want := []Problem{
		{"defaults.filter.directory-audits", perr2.Error()},
		{"tenants[0].filter.interactive-signins", perr.Error()},
	}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

// TestFilterTimeOperators: a filter comparing the time field with an
// operator Graph refuses there fails config check, not the first run.
func TestFilterTimeOperators(t *testing.T) {
	_, _, err := load(t, `defaults:
  streams: [all]
  filter:
    interactive-signins: "createdDateTime lt 2026-11-27T00:00:00Z"
    provisioning: "activityDateTime ge 2026-11-27T00:00:00Z or id eq 'x'"
    directory-audits: "activityDateTime ge 2026-11-27T00:00:00Z and category eq 'UserManagement'"
    managedidentity-signins: "status/errorCode ne 0 and createdDateTime le 2026-11-27T00:00:00Z"
`+header+tenantYAML)
	want := []Problem{
		{"defaults.filter.interactive-signins", "Graph accepts only eq, ge, le on createdDateTime of interactive-signins, not lt (it answers 400 Invalid filter clause)"},
		{"defaults.filter.provisioning", "Graph accepts only eq, gt, lt on activityDateTime of provisioning, not ge (it answers 400 Invalid filter clause)"},
	}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", (&Errors{got}).Error(), (&Errors{want}).Error())
	}
}

// TestFilterBetaProperties: interactive sign-ins are read from beta, so a
// filter on a property only beta has (userAgent, authenticationDetails,
// authenticationRequirement, signInEventTypes) is valid for them, like for
// the other sign-in streams: no problem and no warning.
func TestFilterBetaProperties(t *testing.T) {
	c, warnings, err := load(t, header+tenantYAML+`
    filter:
      interactive-signins: "startswith(userAgent,'python-requests') or authenticationRequirement eq 'multiFactorAuthentication' or authenticationDetails/any(a: a/succeeded eq false)"
`)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("Load: %v, warnings %q", err, warnings)
	}
	if got := c.Tenants[0].Settings.Filter["interactive-signins"]; !strings.HasPrefix(got, "startswith(userAgent,") {
		t.Errorf("filter = %q", got)
	}
}

package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

const (
	guid1 = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	guid2 = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
)

// header is a valid configuration up to the tenants list.
const header = `
storage: {type: local}
tenants:
`

// tenantYAML is a valid tenant entry (its secret comes from CONTOSO_SECRET).
const tenantYAML = `
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth:
      client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346
      client_secret_env: CONTOSO_SECRET
`

const testSecret = "s3cr3t~Value.Xyz_123"

var baseEnv = []string{"CONTOSO_SECRET=" + testSecret}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// load loads yaml from a temporary file with baseEnv plus env.
func load(t *testing.T, yaml string, env ...string) (*Config, []string, error) {
	t.Helper()
	return Load(writeFile(t, "config.yaml", yaml), append(append([]string(nil), baseEnv...), env...))
}

func mustLoad(t *testing.T, yaml string, env ...string) *Config {
	t.Helper()
	c, _, err := load(t, yaml, env...)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %v (%T) is not *Errors", err, err)
	}
	return errs.Problems
}

// stripEnv clears the captured environments so configs compare with
// reflect.DeepEqual.
func stripEnv(c *Config) {
	c.Storage.Azblob.env = nil
	c.State.env = nil
	if c.Storage.Azblob.Auth != nil {
		c.Storage.Azblob.Auth.env = nil
	}
	for i := range c.Tenants {
		c.Tenants[i].Auth.env = nil
	}
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, `
storage: {azblob: {account_url: https://acct.blob.core.windows.net}}
tenants:
  - name: contoso
    tenant_id: 72F988BF-86F1-41AF-91AB-2D7CD011DB47
`)
	stripEnv(c)
	settings := Settings{
		Schedule:         "@every 15m",
		Streams:          []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits},
		Formats:          []string{"jsonl"},
		Compression:      "gzip",
		Partition:        audit.Hour,
		Settle:           15 * time.Minute,
		Recheck:          []time.Duration{2 * time.Hour, 24 * time.Hour, 72 * time.Hour},
		Start:            Start{Retention: true},
		RetentionWarning: 120 * time.Hour,
		RateLimit:        RateLimit{Requests: 5, Per: 10 * time.Second},
	}
	want := &Config{
		Path:  c.Path,
		Log:   Log{Level: "info", Format: "json"},
		HTTP:  HTTP{Listen: "127.0.0.1:9464"},
		Graph: Graph{AppRateLimit: RateLimit{Requests: 122, Per: 10 * time.Second}, RequestTimeout: 60 * time.Second, MaxPageBytes: 64 << 20},
		Storage: Storage{
			Type:  "azblob",
			Local: LocalStorage{Path: "./archive"},
			Azblob: Azblob{
				AccountURL: "https://acct.blob.core.windows.net",
				Container:  "entra-logs",
				Auth:       &Auth{Method: MethodDefault},
			},
		},
		State:    State{Type: "storage"},
		Defaults: settings,
		Tenants: []Tenant{{
			Name:          "contoso",
			TenantID:      guid1,
			Cloud:         "public",
			Auth:          Auth{Method: MethodDefault},
			GraphEndpoint: "https://graph.microsoft.com",
			AuthorityHost: "https://login.microsoftonline.com/",
			Settings:      settings,
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config:\n%s\nwant:\n%s", c.Redacted(), want.Redacted())
	}
	if c.Path == "" {
		t.Error("Path not set")
	}
}

func TestTenantOverrides(t *testing.T) {
	c := mustLoad(t, `
defaults:
  schedule: "@hourly"
  streams: [all]
  formats: [csv, jsonl]
  compression: none
  partition: day
  settle: 30m
  recheck: [3h]
  start: 2026-11-01T00:00:00Z
  retention_warning: 2d
  rate_limit: {requests: 4, per: 20s}
  filter: {interactive-signins: "status/errorCode ne 0", provisioning: "x eq 1"}
`+header+tenantYAML+`
  - name: fabrikam
    tenant_id: 0c5f3e3a-1d2b-4c6e-9f7a-8b9c0d1e2f3a
    schedule: "*/5 * * * *"
    streams: [provisioning, interactive-signins, provisioning]
    formats: [json]
    compression: gzip
    partition: hour
    settle: 1m
    recheck: []
    start: 7d
    retention_warning: 1h
    rate_limit: {per: 1s}
    filter: {provisioning: "y eq 2"}
  - name: northwind
    tenant_id: 0c5f3e3a-1d2b-4c6e-9f7a-8b9c0d1e2f3a
    streams: [directory-audits, provisioning]
`)
	inherited := Settings{
		Schedule:         "@hourly",
		Streams:          audit.Streams,
		Formats:          []string{"csv", "jsonl"},
		Compression:      "none",
		Partition:        audit.Day,
		Settle:           30 * time.Minute,
		Recheck:          []time.Duration{3 * time.Hour},
		Start:            Start{At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
		RetentionWarning: 48 * time.Hour,
		RateLimit:        RateLimit{Requests: 4, Per: 20 * time.Second},
		Filter:           map[string]string{"interactive-signins": "status/errorCode ne 0", "provisioning": "x eq 1"},
	}
	overridden := Settings{
		Schedule:    "*/5 * * * *",
		Streams:     []audit.Stream{audit.InteractiveSignIns, audit.Provisioning},
		Formats:     []string{"json"},
		Compression: "gzip",
		Partition:   audit.Hour,
		Settle:      time.Minute,
		Recheck:     []time.Duration{},
		Start:       Start{Back: 7 * 24 * time.Hour},
		// Unset rate_limit keys come from defaults.
		RetentionWarning: time.Hour,
		RateLimit:        RateLimit{Requests: 4, Per: time.Second},
		Filter:           map[string]string{"provisioning": "y eq 2"},
	}
	// A tenant that selects fewer streams keeps only the inherited filters
	// for the streams it archives.
	narrowed := inherited.clone()
	narrowed.Streams = []audit.Stream{audit.DirectoryAudits, audit.Provisioning}
	narrowed.Filter = map[string]string{"provisioning": "x eq 1"}

	for i, want := range []Settings{inherited, overridden, narrowed} {
		if got := c.Tenants[i].Settings; !reflect.DeepEqual(got, want) {
			t.Errorf("tenants[%d].Settings =\n%+v\nwant\n%+v", i, got, want)
		}
	}
	if !reflect.DeepEqual(c.Defaults, inherited) {
		t.Errorf("Defaults = %+v, want %+v", c.Defaults, inherited)
	}
	// Tenants own their settings: changing one changes nothing else.
	c.Tenants[0].Settings.Formats[0] = "changed"
	c.Tenants[0].Settings.Filter["provisioning"] = "changed"
	if c.Defaults.Formats[0] != "csv" || c.Defaults.Filter["provisioning"] != "x eq 1" || c.Tenants[2].Settings.Filter["provisioning"] != "x eq 1" {
		t.Error("tenants share slices or maps with defaults")
	}
}

func TestAuthMethodDefault(t *testing.T) {
	file := writeFile(t, "secret", "x")
	tests := []struct {
		auth string
		want string
	}{
		{"{}", MethodDefault},
		{"{client_id: " + guid2 + "}", MethodDefault},
		{"{client_id: " + guid2 + ", client_secret_env: CONTOSO_SECRET}", MethodClientSecret},
		{"{client_id: " + guid2 + ", client_secret_file: " + file + "}", MethodClientSecret},
		{"{client_id: " + guid2 + ", client_secret: x}", MethodClientSecret},
		{"{method: azure-cli}", MethodAzureCLI},
		{"{method: managed-identity, client_id: " + guid2 + "}", MethodManagedIdentity},
	}
	for _, tt := range tests {
		c := mustLoad(t, header+"  - {name: a, tenant_id: "+guid1+", auth: "+tt.auth+"}\n")
		if got := c.Tenants[0].Auth.Method; got != tt.want {
			t.Errorf("auth %s: method %q, want %q", tt.auth, got, tt.want)
		}
	}
}

func TestWorkloadIdentityFromEnvironment(t *testing.T) {
	c := mustLoad(t, header+"  - {name: a, tenant_id: "+guid1+", auth: {method: workload-identity}}\n",
		"AZURE_CLIENT_ID="+guid2, "AZURE_FEDERATED_TOKEN_FILE=/var/run/token")
	if a := c.Tenants[0].Auth; a.ClientID != "" || a.TokenFile != "" {
		t.Errorf("auth = %v, want client id and token file left to the environment", a)
	}
	token := writeFile(t, "token", "jwt")
	c = mustLoad(t, header+"  - {name: a, tenant_id: "+guid1+", auth: {method: workload-identity, client_id: "+guid2+", token_file: "+token+"}}\n")
	if a := c.Tenants[0].Auth; a.ClientID != guid2 || a.TokenFile != token {
		t.Errorf("auth = %v", a)
	}
}

func TestClouds(t *testing.T) {
	tests := []struct {
		cloud, graph, authority string
		extra                   string
	}{
		{"public", "https://graph.microsoft.com", "https://login.microsoftonline.com/", ""},
		{"usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us/", ""},
		{"usgov-dod", "https://dod-graph.microsoft.us", "https://login.microsoftonline.us/", ""},
		{"china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn/", ""},
		{"public", "https://graph.example.test", "https://login.example.test/", "graph_endpoint: https://graph.example.test, authority_host: https://login.example.test"},
		{"usgov", "https://proxy.example.test/graph", "https://login.example.test/tenant/", "graph_endpoint: https://proxy.example.test/graph, authority_host: https://login.example.test/tenant/"},
		{"public", "http://127.0.0.1:8443", "http://localhost:8444/", "graph_endpoint: http://127.0.0.1:8443, authority_host: http://localhost:8444/"},
	}
	for _, tt := range tests {
		entry := "  - {name: a, tenant_id: " + guid1 + ", cloud: " + tt.cloud
		if tt.extra != "" {
			entry += ", " + tt.extra + ", disable_instance_discovery: true"
		}
		c := mustLoad(t, header+entry+"}\n")
		got := c.Tenants[0]
		if got.Cloud != tt.cloud || got.GraphEndpoint != tt.graph || got.AuthorityHost != tt.authority || got.DisableInstanceDiscovery != (tt.extra != "") {
			t.Errorf("%s %s: got cloud %q graph %q authority %q discovery off %v", tt.cloud, tt.extra,
				got.Cloud, got.GraphEndpoint, got.AuthorityHost, got.DisableInstanceDiscovery)
		}
	}
}

func TestTenantLookup(t *testing.T) {
	c := mustLoad(t, header+tenantYAML+"  - {name: fabrikam, tenant_id: "+guid1+"}\n")
	if tn, ok := c.Tenant("fabrikam"); !ok || tn.Name != "fabrikam" {
		t.Errorf("Tenant(fabrikam) = %v, %v", tn.Name, ok)
	}
	if _, ok := c.Tenant("nope"); ok {
		t.Error("Tenant(nope) found")
	}
}

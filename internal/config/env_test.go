package config

import (
	"reflect"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestEnvOverrides(t *testing.T) {
	c := mustLoad(t, "log: {level: info}\n"+header+tenantYAML+"  - {name: fabrikam, tenant_id: "+guid1+"}\n",
		"ENTRA_ARCHIVER_LOG__LEVEL=debug",
		"ENTRA_ARCHIVER_LOG__FORMAT=console",
		"ENTRA_ARCHIVER_GRAPH__APP_RATE_LIMIT__REQUESTS=60",
		"ENTRA_ARCHIVER_GRAPH__REQUEST_TIMEOUT=2m",
		"ENTRA_ARCHIVER_HTTP__LISTEN=",
		"ENTRA_ARCHIVER_STORAGE__LOCAL__PATH=/srv/archive",
		"ENTRA_ARCHIVER_DEFAULTS__STREAMS=provisioning, directory-audits",
		"ENTRA_ARCHIVER_DEFAULTS__FORMATS=jsonl,csv",
		"ENTRA_ARCHIVER_DEFAULTS__RECHECK=1h,1d",
		"ENTRA_ARCHIVER_DEFAULTS__RETENTION_WARNING=3d",
		"ENTRA_ARCHIVER_TENANTS__1__RATE_LIMIT__REQUESTS=3",
		"ENTRA_ARCHIVER_TENANTS__1__DISABLE_INSTANCE_DISCOVERY=true",
		"ENTRA_ARCHIVER_CONFIG=/etc/entra-archiver.yaml",
		"OTHER_APP_LOG__LEVEL=error",
	)
	checks := []struct {
		name      string
		got, want any
	}{
		{"log.level", c.Log.Level, "debug"},
		{"log.format", c.Log.Format, "console"},
		{"graph.app_rate_limit", c.Graph.AppRateLimit, RateLimit{Requests: 60, Per: 10 * time.Second}},
		{"graph.request_timeout", c.Graph.RequestTimeout, 2 * time.Minute},
		{"http.listen", c.HTTP.Listen, ""},
		{"storage.local.path", c.Storage.Local.Path, "/srv/archive"},
		{"defaults.streams", c.Defaults.Streams, []audit.Stream{audit.DirectoryAudits, audit.Provisioning}},
		{"defaults.formats", c.Defaults.Formats, []string{"jsonl", "csv"}},
		{"defaults.recheck", c.Defaults.Recheck, []time.Duration{time.Hour, 24 * time.Hour}},
		{"defaults.retention_warning", c.Defaults.RetentionWarning, 72 * time.Hour},
		{"tenants[0].rate_limit", c.Tenants[0].Settings.RateLimit, RateLimit{Requests: 5, Per: 10 * time.Second}},
		{"tenants[1].rate_limit", c.Tenants[1].Settings.RateLimit, RateLimit{Requests: 3, Per: 10 * time.Second}},
		{"tenants[1].disable_instance_discovery", c.Tenants[1].DisableInstanceDiscovery, true},
		{"tenants[1].name", c.Tenants[1].Name, "fabrikam"},
		{"tenants[0].streams", c.Tenants[0].Settings.Streams, []audit.Stream{audit.DirectoryAudits, audit.Provisioning}},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

// TestEnvOnly loads no file: the environment alone describes a tenant.
func TestEnvOnly(t *testing.T) {
	c, _, err := Load("", []string{
		"ENTRA_ARCHIVER_STORAGE__TYPE=local",
		"ENTRA_ARCHIVER_TENANTS__0__NAME=contoso",
		"ENTRA_ARCHIVER_TENANTS__0__TENANT_ID=" + guid1,
		"ENTRA_ARCHIVER_TENANTS__0__AUTH__CLIENT_ID=" + guid2,
		"ENTRA_ARCHIVER_TENANTS__0__AUTH__CLIENT_SECRET_ENV=CONTOSO_SECRET",
		"CONTOSO_SECRET=" + testSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Path != "" || len(c.Tenants) != 1 || c.Tenants[0].Name != "contoso" || c.Tenants[0].Auth.Method != MethodClientSecret {
		t.Fatalf("config = %s", c.Redacted())
	}
	if s, err := c.Tenants[0].Auth.Secret(); err != nil || s != testSecret {
		t.Errorf("Secret() = %q, %v", s, err)
	}
}

func TestEnvTenantOutsideFile(t *testing.T) {
	_, _, err := load(t, header+tenantYAML, "ENTRA_ARCHIVER_TENANTS__2__NAME=x")
	want := []Problem{
		{"tenants[1]", "empty entry"},
		{"tenants[2].tenant_id", "required"},
	}
	if got := problemsOf(t, err); !reflect.DeepEqual(got, want) {
		t.Errorf("problems = %v, want %v", got, want)
	}
}

func TestDisplayPath(t *testing.T) {
	tests := map[string]string{
		"log.level":                    "log.level",
		"tenants.0.auth.client_id":     "tenants[0].auth.client_id",
		"tenants.12.rate_limit.per":    "tenants[12].rate_limit.per",
		"defaults.filter.provisioning": "defaults.filter.provisioning",
		"0":                            "0",
	}
	for in, want := range tests {
		if got := displayPath(in); got != want {
			t.Errorf("displayPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEnvConflict sets a key and a key below it: the deeper one wins, the
// same way every time.
func TestEnvConflict(t *testing.T) {
	for range 20 {
		c := mustLoad(t, header+tenantYAML, "ENTRA_ARCHIVER_LOG=x", "ENTRA_ARCHIVER_LOG__LEVEL=debug")
		if c.Log.Level != "debug" || c.Log.Format != "json" {
			t.Fatalf("log = %+v", c.Log)
		}
	}
}

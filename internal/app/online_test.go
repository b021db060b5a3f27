package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// TestCheckOnline runs the online check against the simulated Graph and a
// local folder: a healthy tenant passes every check, a wrong secret fails
// its token (and so its queries), a Free tenant fails only its sign-ins, an
// app without consent fails every query, and every failure says what to do.
func TestCheckOnline(t *testing.T) {
	f := startTenants(t, []tenantSpec{
		{name: "healthy", id: guid(1), client: guid(101), secret: "online-Secret~healthy-1"},
		{name: "badsecret", id: guid(2), client: guid(102), secret: "online-Secret~real-2", configured: "online-Secret~wrong-2"},
		{name: "free", id: guid(3), client: guid(103), secret: "online-Secret~free-3", free: true},
		{name: "noconsent", id: guid(4), client: guid(104), secret: "online-Secret~consent-4", missing: []string{"AuditLog.Read.All"}},
	}, 50, nil)
	cfg := f.config(t, "defaults: {rate_limit: {requests: 50, per: 1s}}")
	got := app.CheckOnline(context.Background(), cfg, app.OnlineOptions{GraphTransport: f.sim.HTTPClient()})

	type row struct {
		tenant, stream, check string
		ok                    bool
		detail                string // a part of the detail
	}
	signins, audits := "interactive-signins", "directory-audits"
	want := []row{
		{"", "", app.CheckStorage, true, "wrote and deleted _probe/"},
		{"healthy", "", app.CheckToken, true, "client secret from environment variable HEALTHY_SECRET"},
		{"healthy", signins, app.CheckQuery, true, "read a record"},
		{"healthy", audits, app.CheckQuery, true, "read a record"},
		{"badsecret", "", app.CheckToken, false, "client_id " + guid(102) + ", client secret from environment variable BADSECRET_SECRET: the client secret is wrong"},
		{"badsecret", signins, app.CheckQuery, false, "not run: no token"},
		{"badsecret", audits, app.CheckQuery, false, "not run: no token"},
		{"free", "", app.CheckToken, true, "got a Graph token"},
		{"free", signins, app.CheckQuery, false, "sign-in logs need Entra ID P1 or P2 in tenant " + guid(3)},
		{"free", audits, app.CheckQuery, true, "read a record"},
		{"noconsent", "", app.CheckToken, true, "got a Graph token"},
		{"noconsent", signins, app.CheckQuery, false, "grant application permissions AuditLog.Read.All and Directory.Read.All to app " + guid(104)},
		{"noconsent", audits, app.CheckQuery, false, "grant application permissions"},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Tenant != w.tenant || g.Stream != w.stream || g.Check != w.check || g.OK != w.ok || !strings.Contains(g.Detail, w.detail) {
			t.Errorf("result %d: %+v\nwant %+v", i, g, w)
		}
		f.noSecretIn(t, g.Detail)
		t.Logf("%-10s %-20s %-7s %-5v %s", g.Tenant, g.Stream, g.Check, g.OK, g.Detail)
	}
	var probes []string
	err := f.sink(t).List(context.Background(), "_probe/", func(o archive.Object) error {
		probes = append(probes, o.Name)
		return nil
	})
	if err != nil || len(probes) != 0 {
		t.Errorf("probe blobs left: %v %v", probes, err)
	}
	// One query per stream, stopped after its first page.
	if n := f.sim.Tenant(guid(1)).Stats().Requests; n != 2 {
		t.Errorf("healthy tenant: %d Graph requests, want 2", n)
	}
}

func TestCheckOnlineStorageFailure(t *testing.T) {
	f := startTenants(t, []tenantSpec{{name: "healthy", id: guid(1), client: guid(101), secret: "online-Secret~healthy-1"}}, 50, nil)
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f.dir = notADir
	got := app.CheckOnline(context.Background(), f.config(t, "defaults: {rate_limit: {requests: 50, per: 1s}}"), app.OnlineOptions{GraphTransport: f.sim.HTTPClient()})
	if got[0].Check != app.CheckStorage || got[0].OK || !strings.Contains(got[0].Detail, "cannot open folder "+notADir) {
		t.Errorf("storage: %+v", got[0])
	}
	for _, r := range got[1:] {
		if !r.OK {
			t.Errorf("a Graph check failed with the storage: %+v", r)
		}
	}
}

// The fixture shared by the online check and the many-tenants tests.

// tenantSpec is one tenant of the fixture.
type tenantSpec struct {
	name, id, client, secret string
	configured               string // the secret the config holds, when it differs
	free                     bool
	missing                  []string
	volume                   float64 // records per hour per stream; 0 = the fixture's
	streams                  []string
	settings                 string // more YAML keys of the tenant ("start: 2h, partition: day")
}

// tenantsFixture is a simulated Graph with several tenants and a config for
// them over a local archive folder.
type tenantsFixture struct {
	sim     *graphsim.Server
	tenants []tenantSpec
	dir     string
	env     []string
}

func guid(n int) string { return fmt.Sprintf("%08x-0000-4000-8000-%012x", n, n) }

// startTenants starts graphsim with the tenants: records from 30 hours ago
// up to 20 minutes ago (so a run finds everything settled), volume records
// per hour in each stream unless the tenant says otherwise.
func startTenants(t *testing.T, tenants []tenantSpec, volume float64, mod func(*graphsim.Options)) *tenantsFixture {
	t.Helper()
	now := time.Now().UTC()
	f := &tenantsFixture{tenants: tenants, dir: t.TempDir()}
	opts := graphsim.Options{Dir: t.TempDir()}
	for _, st := range tenants {
		v := st.volume
		if v == 0 {
			v = volume
		}
		opts.Tenants = append(opts.Tenants, graphsim.TenantConfig{
			ID: st.id, ClientID: st.client, ClientSecret: st.secret, Free: st.free, MissingPermissions: st.missing,
			Seed: int64(len(opts.Tenants) + 1), Volume: map[string]float64{"interactive-signins": v, "directory-audits": v},
			Epoch: now.Add(-30 * time.Hour), Until: now.Add(-20 * time.Minute),
			// Archives are compared with what Graph serves when a test
			// checks: a record of the 20–30 h late tail turning visible
			// between a run and the check would count as missing.
			LateTail: graphsim.Late{Fraction: -1},
		})
		secret := st.secret
		if st.configured != "" {
			secret = st.configured
		}
		f.env = append(f.env, envName(st.name)+"="+secret)
	}
	if mod != nil {
		mod(&opts)
	}
	sim, err := graphsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f.sim = sim
	return f
}

func envName(tenant string) string {
	return strings.ToUpper(strings.ReplaceAll(tenant, "-", "_")) + "_SECRET"
}

// config loads the fixture's configuration; extra is YAML for the top of
// the file (graph:, defaults:).
func (f *tenantsFixture) config(t *testing.T, extra string) *config.Config {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "http: {listen: \"\"}\nstorage: {type: local, local: {path: %q}}\n%s\ntenants:\n", f.dir, extra)
	for _, st := range f.tenants {
		fmt.Fprintf(&b, "  - name: %s\n    tenant_id: %s\n    auth: {client_id: %s, client_secret_env: %s}\n", st.name, st.id, st.client, envName(st.name))
		fmt.Fprintf(&b, "    graph_endpoint: %s\n    authority_host: %s\n    disable_instance_discovery: true\n", f.sim.GraphURL(), f.sim.AuthorityHost())
		if len(st.streams) > 0 {
			fmt.Fprintf(&b, "    streams: [%s]\n", strings.Join(st.streams, ", "))
		}
		for _, kv := range strings.Split(st.settings, ", ") {
			if kv != "" {
				fmt.Fprintf(&b, "    %s\n", kv)
			}
		}
	}
	return loadConfig(t, b.String(), f.env...)
}

func (f *tenantsFixture) sink(t *testing.T) archive.Sink {
	t.Helper()
	s, err := local.New(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// noSecretIn fails if text holds any tenant's secret.
func (f *tenantsFixture) noSecretIn(t *testing.T, text string) {
	t.Helper()
	for _, st := range f.tenants {
		for _, s := range []string{st.secret, st.configured} {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a secret of %s is printed:\n%s", st.name, text)
			}
		}
	}
}

package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestCheckOnlineNetworkFailures: config check --online names what it
// cannot reach and why, and points at the network, not at the auth
// settings: a token endpoint refusing connections, storage whose
// certificate is not trusted. (A Graph endpoint that cannot be reached
// cannot be had here: the token is for the endpoint's own URL, which the
// simulated Entra knows only for its own Graph; package graph tests it.)
// The tenant whose endpoints work passes.
func TestCheckOnlineNetworkFailures(t *testing.T) {
	u := testenv.NewUnreachable(t)
	f := startTenants(t, []tenantSpec{
		{name: "tokenless", id: guid(1), client: guid(101), secret: "online-Secret~net-1"},
		{name: "healthy", id: guid(2), client: guid(102), secret: "online-Secret~net-2"},
	}, 50, nil)
	yaml := fmt.Sprintf(`http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: NET_STORAGE, container: archive}
defaults: {streams: [directory-audits], rate_limit: {requests: 50, per: 1s}}
tenants:
  - name: tokenless
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: TOKENLESS_SECRET}
    graph_endpoint: %s
    authority_host: %s/
    disable_instance_discovery: true
  - name: healthy
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: HEALTHY_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, guid(1), guid(101), f.sim.GraphURL(), u.Refused, guid(2), guid(102), f.sim.GraphURL(), f.sim.AuthorityHost())
	env := append([]string{"NET_STORAGE=BlobEndpoint=" + u.Untrusted + "/acct;SharedAccessSignature=sv=2024-01-01&sig=NETSIG"}, f.env...)
	cfg := loadConfig(t, yaml, env...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got := app.CheckOnline(ctx, cfg, app.OnlineOptions{GraphTransport: f.sim.HTTPClient(),
		StorageClient: &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}})

	host := func(url string) string { return strings.TrimPrefix(url, "https://") }
	want := []struct {
		tenant, check string
		ok            bool
		says          []string
	}{
		{"", app.CheckStorage, false, []string{"cannot reach " + host(u.Untrusted) + ": its TLS certificate is not trusted", "SSL_CERT_FILE"}},
		{"tokenless", app.CheckToken, false, []string{"no token: cannot reach " + host(u.Refused) + ": the connection was refused", "firewall"}},
		{"tokenless", app.CheckQuery, false, []string{"not run: no token"}},
		{"healthy", app.CheckToken, true, []string{"got a Graph token"}},
		{"healthy", app.CheckQuery, true, []string{"read a record"}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d results, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		t.Logf("%-10s %-7s %-5v %s", g.Tenant, g.Check, g.OK, g.Detail)
		if g.Tenant != w.tenant || g.Check != w.check || g.OK != w.ok {
			t.Errorf("result %d: %+v, want %s %s ok=%v", i, g, w.tenant, w.check, w.ok)
		}
		for _, s := range w.says {
			if !strings.Contains(g.Detail, s) {
				t.Errorf("result %d lacks %q: %s", i, s, g.Detail)
			}
		}
		for _, s := range []string{"check tenant_id", "auth settings", "Storage Blob Data Contributor", "NETSIG"} {
			if strings.Contains(g.Detail, s) {
				t.Errorf("result %d has %q: %s", i, s, g.Detail)
			}
		}
		f.noSecretIn(t, g.Detail)
	}
}

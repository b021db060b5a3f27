package config

import "testing"

// A Graph root or authority host written with or without a trailing slash
// means the same endpoint.
func TestEndpointSlashesAreNormalised(t *testing.T) {
	c := mustLoad(t, `
storage: {type: local}
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: CONTOSO_SECRET}
    graph_endpoint: https://127.0.0.1:8443/
    authority_host: https://127.0.0.1:8443
`)
	tn := c.Tenants[0]
	if tn.GraphEndpoint != "https://127.0.0.1:8443" || tn.AuthorityHost != "https://127.0.0.1:8443/" {
		t.Fatalf("graph %q authority %q", tn.GraphEndpoint, tn.AuthorityHost)
	}
}

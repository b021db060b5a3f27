package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// TestCheckOnlineAllPass: against the simulated Graph, a working
// configuration passes every check and exits 0.
func TestCheckOnlineAllPass(t *testing.T) {
	const tenant, client, secret = "72f988bf-86f1-41af-91ab-2d7cd011db47", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", "check-Secret~fine"
	now := time.Now()
	sim, err := graphsim.Start(graphsim.Options{Dir: t.TempDir(), Tenants: []graphsim.TenantConfig{{
		ID: tenant, ClientID: client, ClientSecret: secret, Epoch: now.Add(-2 * time.Hour),
		Volume: map[string]float64{"interactive-signins": 100, "directory-audits": 100},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := fmt.Sprintf(`storage: {type: local, local: {path: %q}}
defaults: {rate_limit: {requests: 100, per: 1s}}
tenants:
  - name: contoso
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: CHECK_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, t.TempDir(), tenant, client, sim.GraphURL(), sim.AuthorityHost())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, []string{"CHECK_SECRET=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	inv := &invocation{stdout: &stdout, stderr: &stderr, ctx: context.Background()}
	if code := inv.checkOnline(cfg, app.OnlineOptions{GraphTransport: sim.HTTPClient()}); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if len(lines) != 6 || lines[5] != "all 4 checks passed" || strings.Contains(stdout.String(), "FAIL") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

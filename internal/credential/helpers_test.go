package credential_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/certfile/certfiletest"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/golang-jwt/jwt/v5"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

const (
	appTenant  = "11111111-2222-4333-8444-555555555555"
	appClient  = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	appSecret  = "cred-Secret~never-printed-0123"
	uamiTenant = "22222222-2222-4333-8444-555555555555"
	uamiClient = "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	samiTenant = "33333333-2222-4333-8444-555555555555"
	samiClient = "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee"

	oidcIssuer     = "https://oidc.example/cluster-1/"
	serviceAccount = "system:serviceaccount:archiver:entra-archiver"
)

// fixture is a simulated Graph whose app in appTenant accepts a secret, a
// certificate and a federated token, plus two tenants whose apps are the
// host's managed identities (user- and system-assigned).
type fixture struct {
	sim       *graphsim.Server
	cert      *x509.Certificate
	key       *rsa.PrivateKey
	issuerKey *rsa.PrivateKey
	dir       string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{dir: t.TempDir()}
	f.cert, f.key = newCertificate(t, "entra-archiver")
	f.issuerKey = newKey(t)
	vol := map[string]float64{"directory-audits": 100}
	sim, err := graphsim.Start(graphsim.Options{Dir: t.TempDir(), Tenants: []graphsim.TenantConfig{
		{ID: appTenant, ClientID: appClient, ClientSecret: appSecret, Volume: vol,
			ClientCertificates: []*x509.Certificate{f.cert},
			FederatedIssuers:   []graphsim.FederatedIssuer{{Issuer: oidcIssuer, Subject: serviceAccount, Key: &f.issuerKey.PublicKey}}},
		{ID: uamiTenant, ClientID: uamiClient, ManagedIdentity: graphsim.UserAssigned, Volume: vol},
		{ID: samiTenant, ClientID: samiClient, ManagedIdentity: graphsim.SystemAssigned, Volume: vol},
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	f.sim = sim
	return f
}

// target is where the fixture's tokens come from.
func (f *fixture) target(tenantID string) credential.Target {
	return credential.Target{TenantID: tenantID, AuthorityHost: f.sim.AuthorityHost(), DisableInstanceDiscovery: true, Transport: f.sim.HTTPClient()}
}

// useManagedIdentityEndpoint points azidentity's managed-identity flow at
// the simulator, as App Service's environment does.
func (f *fixture) useManagedIdentityEndpoint(t *testing.T) {
	endpoint, header := f.sim.ManagedIdentityEndpoint()
	t.Setenv("IDENTITY_ENDPOINT", endpoint)
	t.Setenv("IDENTITY_HEADER", header)
	t.Setenv("IDENTITY_SERVER_THUMBPRINT", "")
	t.Setenv("MSI_ENDPOINT", "")
}

// federatedToken writes a service-account token the fixture's federated
// credential trusts (or not, with another subject) and returns its file.
func (f *fixture) federatedToken(t *testing.T, subject string) string {
	t.Helper()
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": oidcIssuer, "sub": subject, "aud": []string{graphsim.FederatedAudience},
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	s, err := tok.SignedString(f.issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	return writeFile(t, "token-"+strings.ReplaceAll(subject, ":", "-"), s)
}

// graphAccepts gets a Graph token from cred and reads one record with it.
func (f *fixture) graphAccepts(t *testing.T, cred azcore.TokenCredential) {
	t.Helper()
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{f.sim.GraphURL() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, f.sim.GraphURL()+"/v1.0/auditLogs/directoryAudits?$top=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	resp, err := f.sim.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Graph answered %d to the token", resp.StatusCode)
	}
}

// tenantAuth loads a config with one tenant whose auth mapping is authYAML
// and returns that tenant's auth and the warnings.
func tenantAuth(t *testing.T, tenantID, authYAML string, env ...string) (config.Auth, []string) {
	t.Helper()
	path := writeFile(t, "config.yaml", `
storage: {type: local, local: {path: `+strconv.Quote(t.TempDir())+`}}
tenants:
  - name: contoso
    tenant_id: `+tenantID+`
    auth: `+authYAML+`
`)
	cfg, warnings, err := config.Load(path, append(os.Environ(), env...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Tenants[0].Auth, warnings
}

func newKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// newCertificate returns a self-signed RSA certificate and its key.
func newCertificate(t *testing.T, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	return certfiletest.New(t, cn)
}

// pemFile writes the certificate and its PKCS#8 key, as Azure Key Vault and
// openssl export them.
func pemFile(t *testing.T, cert *x509.Certificate, key *rsa.PrivateKey) string {
	t.Helper()
	return writeFile(t, "cert.pem", string(certfiletest.PEM(t, cert, key)))
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

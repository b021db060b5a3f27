package graphsim

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/certfile/certfiletest"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// newCertificate returns a self-signed RSA certificate and its key.
func newCertificate(t *testing.T, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	return certfiletest.New(t, cn)
}

func azOptions(s *Server) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
		Transport: s.HTTPClient(),
	}
}

// graphWorks gets a token from cred and reads one directory audit with it.
func graphWorks(t *testing.T, s *Server, cred azcore.TokenCredential) {
	t.Helper()
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{s.GraphURL() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	r := get(t, s, tok.Token, recentURL(s, audit.DirectoryAudits, "$top=1"))
	if r.status != 200 || len(decodePage(t, r).Value) != 1 {
		t.Fatalf("Graph with the token: %d %s", r.status, r.body)
	}
}

func TestAzidentityCertificateFlow(t *testing.T) {
	cert, key := newCertificate(t, "archiver")
	other, otherKey := newCertificate(t, "archiver")
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].ClientSecret = ""
		o.Tenants[0].ClientCertificates = []*x509.Certificate{cert}
	})
	for _, chain := range []bool{false, true} {
		cred, err := azidentity.NewClientCertificateCredential(testTenant, testClient, []*x509.Certificate{cert}, key,
			&azidentity.ClientCertificateCredentialOptions{ClientOptions: azOptions(s), DisableInstanceDiscovery: true, SendCertificateChain: chain})
		if err != nil {
			t.Fatal(err)
		}
		graphWorks(t, s, cred)
	}

	cred, err := azidentity.NewClientCertificateCredential(testTenant, testClient, []*x509.Certificate{other}, otherKey,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: azOptions(s), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{s.GraphURL() + "/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS700027") {
		t.Fatalf("unregistered certificate: %v, want AADSTS700027", err)
	}
}

// assertionClaimsFor are the claims MSAL puts in a certificate assertion.
func assertionClaimsFor(s *Server) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"aud": s.GraphURL() + "/" + testTenant + "/oauth2/v2.0/token",
		"iss": testClient, "sub": testClient, "jti": "1",
		"nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
	}
}

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, header map[string]any, key crypto.Signer) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func x5t(cert *x509.Certificate) map[string]any {
	sum := sha256.Sum256(cert.Raw)
	return map[string]any{"x5t#S256": base64.StdEncoding.EncodeToString(sum[:])}
}

// TestClientAssertionRejected covers every way a client assertion is
// refused, each with Entra's code, and what is accepted.
func TestClientAssertionRejected(t *testing.T) {
	cert, key := newCertificate(t, "registered")
	_, strayKey := newCertificate(t, "stray")
	issuerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	const issuer, subject = "https://oidc.example/cluster-1/", "system:serviceaccount:archiver:entra-archiver"
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].ClientCertificates = []*x509.Certificate{cert}
		o.Tenants[0].FederatedIssuers = []FederatedIssuer{{Issuer: issuer, Subject: subject, Key: &issuerKey.PublicKey}}
	})
	with := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		c := assertionClaimsFor(s)
		mod(c)
		return c
	}
	federated := func(mod func(jwt.MapClaims)) jwt.MapClaims {
		now := time.Now()
		c := jwt.MapClaims{"iss": issuer, "sub": subject, "aud": []string{FederatedAudience},
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		mod(c)
		return c
	}
	keep := func(jwt.MapClaims) {}
	cases := []struct {
		name, assertion string
		assertionType   string // default jwt-bearer
		want            string // "" = accepted
	}{
		{"certificate", sign(t, jwt.SigningMethodPS256, assertionClaimsFor(s), x5t(cert), key), "", ""},
		{"certificate RS256", sign(t, jwt.SigningMethodRS256, assertionClaimsFor(s), x5t(cert), key), "", ""},
		{"unknown thumbprint", sign(t, jwt.SigningMethodPS256, assertionClaimsFor(s), map[string]any{"x5t#S256": "AAAA"}, key), "", "AADSTS700027"},
		{"no thumbprint", sign(t, jwt.SigningMethodPS256, assertionClaimsFor(s), nil, key), "", "AADSTS700027"},
		{"signed by another key", sign(t, jwt.SigningMethodPS256, assertionClaimsFor(s), x5t(cert), strayKey), "", "AADSTS700027"},
		{"wrong audience", sign(t, jwt.SigningMethodPS256, with(func(c jwt.MapClaims) { c["aud"] = "https://login.microsoftonline.com/x/oauth2/v2.0/token" }), x5t(cert), key), "", "AADSTS50013"},
		{"subject not the client", sign(t, jwt.SigningMethodPS256, with(func(c jwt.MapClaims) { c["sub"] = "someone-else" }), x5t(cert), key), "", "AADSTS700021"},
		{"expired", sign(t, jwt.SigningMethodPS256, with(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), x5t(cert), key), "", "AADSTS700024"},
		{"not yet valid", sign(t, jwt.SigningMethodPS256, with(func(c jwt.MapClaims) { c["nbf"] = time.Now().Add(time.Hour).Unix() }), x5t(cert), key), "", "AADSTS700024"},
		{"no expiry", sign(t, jwt.SigningMethodPS256, with(func(c jwt.MapClaims) { delete(c, "exp") }), x5t(cert), key), "", "AADSTS700024"},
		{"malformed", "not-a-jwt", "", "AADSTS50027"},
		{"wrong assertion type", sign(t, jwt.SigningMethodPS256, assertionClaimsFor(s), x5t(cert), key), "urn:other", "AADSTS70002"},
		{"federated", sign(t, jwt.SigningMethodES256, federated(keep), nil, issuerKey), "", ""},
		{"federated: untrusted issuer", sign(t, jwt.SigningMethodES256, federated(func(c jwt.MapClaims) { c["iss"] = "https://evil.example/" }), nil, issuerKey), "", "AADSTS70021"},
		{"federated: other subject", sign(t, jwt.SigningMethodES256, federated(func(c jwt.MapClaims) { c["sub"] = "system:serviceaccount:default:other" }), nil, issuerKey), "", "AADSTS70021"},
		{"federated: wrong audience", sign(t, jwt.SigningMethodES256, federated(func(c jwt.MapClaims) { c["aud"] = "api://other" }), nil, issuerKey), "", "AADSTS700212"},
		{"federated: forged signature", sign(t, jwt.SigningMethodPS256, federated(keep), nil, strayKey), "", "AADSTS700027"},
		{"federated: expired", sign(t, jwt.SigningMethodES256, federated(func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), nil, issuerKey), "", "AADSTS700024"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			typ := c.assertionType
			if typ == "" {
				typ = jwtBearerAssertion
			}
			status, body := postToken(t, s, testTenant, url.Values{
				"grant_type": {"client_credentials"}, "client_id": {testClient}, "scope": {s.GraphURL() + "/.default"},
				"client_assertion_type": {typ}, "client_assertion": {c.assertion},
			})
			switch {
			case c.want == "" && status != 200:
				t.Fatalf("refused: %d %s", status, body)
			case c.want != "" && (status < 400 || !strings.Contains(string(body), c.want)):
				t.Fatalf("%d %s, want %s", status, body, c.want)
			}
			if c.want != "" && strings.Contains(string(body), c.assertion) {
				t.Fatal("the error echoes the assertion")
			}
		})
	}
}

func TestAzidentityWorkloadIdentityFlow(t *testing.T) {
	issuerKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	const issuer, subject = "https://oidc.example/cluster-1/", "system:serviceaccount:archiver:entra-archiver"
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].ClientSecret = ""
		o.Tenants[0].FederatedIssuers = []FederatedIssuer{{Issuer: issuer, Subject: subject, Key: &issuerKey.PublicKey}}
	})
	writeToken := func(sub string) string {
		now := time.Now()
		tok := sign(t, jwt.SigningMethodRS256, jwt.MapClaims{"iss": issuer, "sub": sub, "aud": []string{FederatedAudience},
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix()}, map[string]any{"kid": "k1"}, issuerKey)
		path := filepath.Join(t.TempDir(), "token")
		if err := os.WriteFile(path, []byte(tok), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	cred := func(file string) *azidentity.WorkloadIdentityCredential {
		c, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: azOptions(s), ClientID: testClient, TenantID: testTenant, TokenFilePath: file, DisableInstanceDiscovery: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	graphWorks(t, s, cred(writeToken(subject)))

	_, err = cred(writeToken("system:serviceaccount:default:default")).GetToken(context.Background(),
		policy.TokenRequestOptions{Scopes: []string{s.GraphURL() + "/.default"}})
	if err == nil || !strings.Contains(err.Error(), "AADSTS70021") {
		t.Fatalf("untrusted subject: %v, want AADSTS70021", err)
	}
}

func TestCredentialConfigValidation(t *testing.T) {
	cert, _ := newCertificate(t, "c")
	cases := []struct {
		name string
		mod  func(*TenantConfig)
		want string
	}{
		{"no credential", func(c *TenantConfig) { c.ClientSecret = "" }, "a credential is required"},
		{"no client id", func(c *TenantConfig) { c.ClientID = "" }, "ClientID is required"},
		{"nil certificate", func(c *TenantConfig) { c.ClientCertificates = []*x509.Certificate{nil} }, "nil certificate"},
		{"federated without key", func(c *TenantConfig) { c.FederatedIssuers = []FederatedIssuer{{Issuer: "i", Subject: "s"}} }, "needs Issuer, Subject and Key"},
		{"certificate only", func(c *TenantConfig) { c.ClientSecret, c.ClientCertificates = "", []*x509.Certificate{cert} }, ""},
		{"managed identity only", func(c *TenantConfig) { c.ClientSecret, c.ManagedIdentity = "", UserAssigned }, ""},
	}
	for _, c := range cases {
		cfg := baseTenant()
		c.mod(&cfg)
		s, err := Start(Options{Tenants: []TenantConfig{cfg}, Dir: t.TempDir()})
		if err == nil {
			s.Close()
		}
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

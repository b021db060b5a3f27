package graphsim

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func credential(t *testing.T, s *Server, tenant, client, secret string) *azidentity.ClientSecretCredential {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(tenant, client, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
			Transport: s.HTTPClient(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func TestAzidentityClientSecretFlow(t *testing.T) {
	s, _ := startSim(t, nil)
	ctx := context.Background()
	cred := credential(t, s, testTenant, testClient, testSecret)
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{s.GraphURL() + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	if !tok.ExpiresOn.After(time.Now().Add(50 * time.Minute)) {
		t.Errorf("token expires %v, want about an hour ahead", tok.ExpiresOn)
	}
	r := get(t, s, tok.Token, recentURL(s, audit.DirectoryAudits, "$top=5"))
	if c := decodePage(t, r); len(c.Value) != 5 {
		t.Fatalf("got %d records, want 5", len(c.Value))
	}
	if n := s.Tenant(testTenant).Stats().TokenRequests; n < 2 {
		t.Errorf("TokenRequests = %d, want discovery and token", n)
	}
}

func TestAzidentityErrors(t *testing.T) {
	s, _ := startSim(t, nil)
	graphScope := s.GraphURL() + "/.default"
	cases := []struct {
		name, tenant, client, secret, scope string
		want                                string
	}{
		{"wrong secret", testTenant, testClient, "wrong-secret-xyz", graphScope, "AADSTS7000215"},
		{"unknown client", testTenant, "99999999-bbbb-4ccc-8ddd-eeeeeeeeeeee", testSecret, graphScope, "AADSTS700016"},
		{"unknown tenant", "99999999-2222-4333-8444-555555555555", testClient, testSecret, graphScope, "AADSTS90002"},
		{"other resource", testTenant, testClient, testSecret, "https://management.azure.com/.default", "AADSTS500011"},
		{"no .default", testTenant, testClient, testSecret, s.GraphURL() + "/AuditLog.Read.All", "AADSTS1002012"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred := credential(t, s, c.tenant, c.client, c.secret)
			_, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{c.scope}})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %s", err, c.want)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), "wrong-secret-xyz") {
				t.Fatal("the error echoes the secret")
			}
		})
	}
}

func TestTokenEndpointStatuses(t *testing.T) {
	s, _ := startSim(t, nil)
	base := url.Values{"grant_type": {"client_credentials"}, "client_id": {testClient}, "client_secret": {testSecret}, "scope": {s.GraphURL() + "/.default openid profile offline_access"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range base {
			f[key] = vs
		}
		if v == "" {
			f.Del(k)
		} else {
			f.Set(k, v)
		}
		return f
	}
	cases := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"ok", base, 200, ""},
		{"graph app id scope", with("scope", graphAppID+"/.default"), 200, ""},
		{"wrong secret", with("client_secret", "nope"), 401, `"invalid_client"`},
		{"no secret", with("client_secret", ""), 401, `"invalid_client"`},
		{"assertion", with("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), 400, `"invalid_request"`},
		{"unknown client", with("client_id", "x"), 400, `"unauthorized_client"`},
		{"grant", with("grant_type", "password"), 400, `"unsupported_grant_type"`},
		{"scope", with("scope", "https://example.com/.default"), 400, `"invalid_resource"`},
	}
	for _, c := range cases {
		status, body := postToken(t, s, testTenant, c.form)
		if status != c.status || !strings.Contains(string(body), c.code) {
			t.Errorf("%s: %d %s, want %d %s", c.name, status, body, c.status, c.code)
		}
		if strings.Contains(string(body), testSecret) {
			t.Errorf("%s: body echoes the secret", c.name)
		}
	}
}

func TestGraphAuthentication(t *testing.T) {
	s, clock := startSim(t, func(o *Options) { o.Tenants[0].TokenLifetime = 10 * time.Minute })
	tok := fetchToken(t, s)
	u := recentURL(s, audit.DirectoryAudits, "$top=1")
	if r := get(t, s, tok, u); r.status != 200 {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	other, _ := startSim(t, nil) // same tenant, different signing key
	foreign := fetchToken(t, other)
	cases := []struct {
		name, token, want string
	}{
		{"missing", "", "Access token is empty."},
		{"garbage", "not.a.jwt", "Access token validation failure."},
		{"foreign signer", foreign, "Access token validation failure."},
	}
	for _, c := range cases {
		r := get(t, s, c.token, u)
		if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), `"code":"InvalidAuthenticationToken"`) || !strings.Contains(string(r.body), c.want) {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", c.name)
		}
	}
	clock.Set(testNow.Add(11 * time.Minute))
	r := get(t, s, tok, u)
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "expired") {
		t.Fatalf("expired token: %d %s", r.status, r.body)
	}
	if n := s.Tenant(testTenant).Stats().ByStatus[401]; n != 1 {
		t.Errorf("401s counted for the tenant: %d, want 1 (the expired genuine token)", n)
	}
	if r := get(t, s, fetchToken(t, s), u); r.status != 200 {
		t.Fatalf("new token: %d", r.status)
	}
}

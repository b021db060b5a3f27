package credential_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/graph"
)

// cloudRecorder stands in for a national cloud's Entra and Graph: it
// answers instance discovery, tenant discovery, the token endpoint and one
// empty Graph page, and records where each request went.
type cloudRecorder struct {
	mu       sync.Mutex
	requests []string // "METHOD host path"
	scopes   []string // scope of each token request
}

func (c *cloudRecorder) Do(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.requests = append(c.requests, r.Method+" "+r.URL.Host+" "+r.URL.Path)
	c.mu.Unlock()
	root := "https://" + r.URL.Host
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case strings.HasSuffix(r.URL.Path, "/discovery/instance"):
		return answer(r, `{"api-version":"1.1","tenant_discovery_endpoint":"`+root+`/`+appTenant+`/v2.0/.well-known/openid-configuration",`+
			`"metadata":[{"preferred_network":"`+r.URL.Host+`","preferred_cache":"`+r.URL.Host+`","aliases":["`+r.URL.Host+`"]}]}`), nil
	case strings.HasSuffix(r.URL.Path, "/openid-configuration"):
		return answer(r, `{"token_endpoint":"`+root+`/`+segs[0]+`/oauth2/v2.0/token","authorization_endpoint":"`+root+`/`+segs[0]+`/oauth2/v2.0/authorize",`+
			`"issuer":"`+root+`/`+segs[0]+`/v2.0"}`), nil
	case strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token"):
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		c.mu.Lock()
		c.scopes = append(c.scopes, form.Get("scope"))
		c.mu.Unlock()
		claims := base64.RawURLEncoding.EncodeToString([]byte(`{"tid":"` + segs[0] + `"}`))
		return answer(r, `{"token_type":"Bearer","expires_in":3600,"access_token":"e30.`+claims+`.sig"}`), nil
	}
	return answer(r, `{"value":[]}`), nil
}

func answer(r *http.Request, body string) *http.Response {
	return &http.Response{StatusCode: 200, Status: "200 OK", Request: r, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
}

// TestCloudsDecideEveryEndpoint: for each national cloud, the config's
// cloud key alone sends token requests to the cloud's authority with the
// scope {graph root}/.default, and Graph requests to the cloud's Graph root.
func TestCloudsDecideEveryEndpoint(t *testing.T) {
	cases := []struct {
		cloud, graphHost, authorityHost string
	}{
		{"public", "graph.microsoft.com", "login.microsoftonline.com"},
		{"usgov", "graph.microsoft.us", "login.microsoftonline.us"},
		{"usgov-dod", "dod-graph.microsoft.us", "login.microsoftonline.us"},
		{"china", "microsoftgraph.chinacloudapi.cn", "login.chinacloudapi.cn"},
	}
	for _, c := range cases {
		t.Run(c.cloud, func(t *testing.T) {
			path := writeFile(t, "config.yaml", `
storage: {type: local, local: {path: archive}}
tenants:
  - name: contoso
    tenant_id: `+appTenant+`
    cloud: `+c.cloud+`
    auth: {client_id: `+appClient+`, client_secret_env: CRED_SECRET}
`)
			cfg, _, err := config.Load(path, []string{"CRED_SECRET=" + appSecret})
			if err != nil {
				t.Fatal(err)
			}
			tn := cfg.Tenants[0]
			if tn.GraphEndpoint != "https://"+c.graphHost || tn.AuthorityHost != "https://"+c.authorityHost+"/" {
				t.Fatalf("graph %s, authority %s", tn.GraphEndpoint, tn.AuthorityHost)
			}
			rec := &cloudRecorder{}
			cred, err := credential.New(tn.Auth, credential.Target{TenantID: tn.TenantID, AuthorityHost: tn.AuthorityHost, Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			src, err := graph.New(graph.Options{TenantID: tn.TenantID, GraphEndpoint: tn.GraphEndpoint, Credential: cred,
				Tenant: graph.NewPacer(0, 0), App: graph.NewPacer(0, 0), Transport: rec})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Hour)
			if err := src.Fetch(context.Background(), audit.DirectoryAudits, audit.Window{From: now.Add(-time.Hour), To: now}, "", func(audit.Page) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if len(rec.scopes) != 1 || rec.scopes[0] != "https://"+c.graphHost+"/.default openid offline_access profile" {
				t.Errorf("token scopes %q", rec.scopes)
			}
			last := rec.requests[len(rec.requests)-1]
			if last != "GET "+c.graphHost+" /v1.0/auditLogs/directoryAudits" {
				t.Errorf("Graph request %q", last)
			}
			for _, r := range rec.requests[:len(rec.requests)-1] {
				if strings.Fields(r)[1] != c.authorityHost {
					t.Errorf("sign-in request to %q, want host %s", r, c.authorityHost)
				}
			}
		})
	}
}

// TestStorageFollowsTheAccountsCloud: a storage account URL's blob suffix
// names its cloud, and the storage credential signs in there.
func TestStorageFollowsTheAccountsCloud(t *testing.T) {
	cases := []struct{ accountURL, authorityHost string }{
		{"https://acct.blob.core.windows.net", "login.microsoftonline.com"},
		{"https://acct.blob.core.usgovcloudapi.net/", "login.microsoftonline.us"},
		{"https://ACCT.BLOB.CORE.CHINACLOUDAPI.CN", "login.chinacloudapi.cn"},
		{"http://127.0.0.1:10000/devstoreaccount1", "login.microsoftonline.com"},
	}
	for _, c := range cases {
		rec := &cloudRecorder{}
		cred, err := credential.ForStorage(config.Azblob{AccountURL: c.accountURL, TenantID: appTenant, Auth: &config.Auth{
			Method: config.MethodClientSecret, ClientID: appClient, ClientSecret: appSecret,
		}}, rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://storage.azure.com/.default"}}); err != nil {
			t.Fatal(err)
		}
		if len(rec.requests) == 0 {
			t.Fatalf("%s: no sign-in request", c.accountURL)
		}
		for _, r := range rec.requests {
			if strings.Fields(r)[1] != c.authorityHost {
				t.Errorf("%s: sign-in request to %q, want host %s", c.accountURL, r, c.authorityHost)
			}
		}
	}
}

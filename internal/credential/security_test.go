package credential_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// thief is an endpoint that must never receive the client secret.
type thief struct {
	*httptest.Server
	requests, secrets atomic.Int32
}

func newThief(t *testing.T, tls bool) *thief {
	th := &thief{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		th.requests.Add(1)
		if body, _ := io.ReadAll(r.Body); strings.Contains(string(body), appSecret) {
			th.secrets.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token_type":"Bearer","expires_in":3600,"access_token":"stolen"}`)
	})
	if tls {
		th.Server = httptest.NewTLSServer(h)
	} else {
		th.Server = httptest.NewServer(h)
	}
	t.Cleanup(th.Close)
	return th
}

// fakeAuthority is an identity endpoint that answers tenant discovery with
// tokenEndpoint (its own when "") and the token request with token.
func fakeAuthority(t *testing.T, tokenEndpoint func(root string) string, token http.HandlerFunc) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root := srv.URL + "/" + appTenant
		if strings.HasSuffix(r.URL.Path, "/openid-configuration") {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]any{
				"issuer": root + "/v2.0", "authorization_endpoint": root + "/oauth2/v2.0/authorize",
				"token_endpoint": tokenEndpoint(root),
			})
			return
		}
		token(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// getToken asks a client-secret credential signing in at srv for a token.
func getToken(t *testing.T, srv *httptest.Server, retry *policy.RetryOptions) (string, error) {
	t.Helper()
	auth, _ := tenantAuth(t, appTenant, `{method: client-secret, client_id: `+appClient+`, client_secret: `+appSecret+`}`)
	cred, err := credential.New(auth, credential.Target{TenantID: appTenant, AuthorityHost: srv.URL + "/",
		DisableInstanceDiscovery: true, Transport: srv.Client(), Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err == nil {
		return "", errors.New("got a token")
	}
	return credential.Explain(err, auth, appTenant), err
}

// TestSecurityTokenRedirectNotFollowed: a 307 from the token endpoint
// would make Go's client post the client secret again to wherever it
// points. It is refused, naming the Location's host, and the secret goes
// nowhere else.
func TestSecurityTokenRedirectNotFollowed(t *testing.T) {
	th := newThief(t, true)
	for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
		srv := fakeAuthority(t, func(root string) string { return root + "/oauth2/v2.0/token" }, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, th.URL+"/steal?code=1", status)
		})
		msg, err := getToken(t, srv, nil)
		if err == nil {
			t.Fatalf("%d: the credential got a token", status)
		}
		if !strings.Contains(msg, strings.TrimPrefix(th.URL, "https://")) || strings.Contains(msg, "steal") {
			t.Errorf("%d: explanation %q must name the Location's host and nothing of its path", status, msg)
		}
		if re, ok := errors.AsType[*egress.RedirectError](err); !ok || re.Status != status {
			t.Errorf("%d: error %v does not wrap the redirect", status, err)
		}
	}
	if n := th.requests.Load(); n != 0 {
		t.Fatalf("the redirect was followed: %d requests reached its target, %d with the client secret", n, th.secrets.Load())
	}
}

// TestSecurityTokenEndpointOnAuthorityHost: discovery that names a token
// endpoint on another host, or in plain http on the authority's own host,
// is an impostor's: the client secret is never posted there.
func TestSecurityTokenEndpointOnAuthorityHost(t *testing.T) {
	elsewhere, plain := newThief(t, true), newThief(t, false)
	for name, endpoint := range map[string]func(root string) string{
		"another host":           func(string) string { return elsewhere.URL + "/tenant/oauth2/v2.0/token" },
		"plain http on its host": func(string) string { return plain.URL + "/tenant/oauth2/v2.0/token" },
	} {
		srv := fakeAuthority(t, endpoint, func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				t.Errorf("%s: the authority's own token endpoint was asked", name)
			}
		})
		msg, err := getToken(t, srv, nil)
		if err == nil {
			t.Fatalf("%s: the credential got a token", name)
		}
		if !strings.Contains(msg, "authority_host") || !strings.Contains(msg, "tenant "+appTenant) {
			t.Errorf("%s: explanation %q does not say what to check", name, msg)
		}
		if !errors.As(err, new(*credential.RefusedError)) || !errors.As(err, new(*egress.RefusedError)) {
			t.Errorf("%s: error %v does not wrap the refusal", name, err)
		}
	}
	if elsewhere.secrets.Load()+plain.secrets.Load() != 0 || elsewhere.requests.Load()+plain.requests.Load() != 0 {
		t.Fatalf("the client secret was posted to the endpoint discovery named (%d, %d requests)",
			elsewhere.requests.Load(), plain.requests.Load())
	}
}

// TestSecurityTokenRequestTimesOut: a token endpoint that never answers
// fails the request after its tries, each bounded, instead of hanging the
// job for ever.
func TestSecurityTokenRequestTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := fakeAuthority(t, func(root string) string { return root + "/oauth2/v2.0/token" }, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := getToken(t, srv, &policy.RetryOptions{TryTimeout: 300 * time.Millisecond, MaxRetries: 1, RetryDelay: 10 * time.Millisecond})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("got a token from a silent endpoint")
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("the token request took %v", d)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the token request hangs on a silent endpoint")
	}
}

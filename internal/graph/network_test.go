package graph

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	entracred "github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// networkCase is a real failing endpoint and what its error must say.
type networkCase struct {
	name, url string
	says      []string
}

func networkCases(t *testing.T) []networkCase {
	u := testenv.NewUnreachable(t)
	return []networkCase{
		{"refused", u.Refused, []string{"the connection was refused", "firewall"}},
		{"no such host", u.NoSuchHost, []string{"DNS has no such name", "DNS"}},
		{"untrusted certificate", u.Untrusted, []string{"not trusted", "SSL_CERT_FILE"}},
		{"no answer", u.Silent, []string{"no answer in time", "HTTPS_PROXY"}},
	}
}

// authAdvice is what a network failure must not be blamed on.
var authAdvice = []string{"auth settings", "check tenant_id", "client_id and the credential", "Graph refused the token"}

// netSource is a Source for Graph at endpoint with cred, quick to give up.
func netSource(t *testing.T, endpoint string, cred azcore.TokenCredential) *Source {
	t.Helper()
	src, err := New(Options{
		TenantID: testTenant, ClientID: testClient, GraphEndpoint: endpoint, Credential: cred,
		Tenant: NewPacer(0, 0), App: NewPacer(0, 0), RequestTimeout: 300 * time.Millisecond, MaxAttempts: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	src.sleep = func(context.Context, time.Duration) error { return nil }
	return src
}

func checkNetworkError(t *testing.T, err error, tc networkCase) {
	t.Helper()
	host := strings.TrimPrefix(tc.url, "https://")
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, s := range append([]string{"cannot reach " + host + ": "}, tc.says...) {
		if !strings.Contains(msg, s) {
			t.Errorf("error lacks %q:\n%s", s, msg)
		}
	}
	for _, s := range authAdvice {
		if strings.Contains(msg, s) {
			t.Errorf("error blames the auth settings (%q):\n%s", s, msg)
		}
	}
	if errors.Is(err, audit.ErrUnauthorized) {
		t.Errorf("a network failure is ErrUnauthorized: %v", err)
	}
}

// TestGraphUnreachable: Graph that cannot be reached is named, with the
// cause and what to check.
func TestGraphUnreachable(t *testing.T) {
	t.Parallel()
	for _, tc := range networkCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := netSource(t, tc.url, staticCredential{}).Fetch(t.Context(), audit.DirectoryAudits, pageWindow, "",
				func(audit.Page) error { return nil })
			checkNetworkError(t, err, tc)
		})
	}
}

// TestTokenEndpointUnreachable: a token endpoint that cannot be reached is
// not the tenant's auth settings' fault (it was "no token: …; check the
// tenant's auth settings"), and it is retried like any outage, except a
// certificate that does not verify.
func TestTokenEndpointUnreachable(t *testing.T) {
	t.Parallel()
	for _, tc := range networkCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cred, err := entracred.New(config.Auth{Method: config.MethodClientSecret, ClientID: testClient, ClientSecret: "not-sent"},
				entracred.Target{TenantID: testTenant, AuthorityHost: tc.url + "/", DisableInstanceDiscovery: true,
					Retry: &policy.RetryOptions{MaxRetries: -1, TryTimeout: 300 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			src := netSource(t, "https://graph.invalid", cred)
			err = src.Fetch(t.Context(), audit.DirectoryAudits, pageWindow, "", func(audit.Page) error { return nil })
			checkNetworkError(t, err, tc)
			if !strings.Contains(err.Error(), "no token") {
				t.Errorf("error does not say the token was what failed:\n%s", err)
			}
			permanent := tc.name == "untrusted certificate"
			if retried := strings.Contains(err.Error(), "giving up after 2 attempts"); retried == permanent {
				t.Errorf("retried %v, want %v:\n%s", retried, !permanent, err)
			}
		})
	}
}

package credential_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/egress"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestNetworkFailuresAreExplained: a token endpoint that cannot be reached
// (a closed port, a name DNS does not know, a certificate nobody trusts, no
// answer) is explained by the host, the cause and what to check there,
// never by the credential's settings; the error matches the transport's
// *egress.NetworkError.
func TestNetworkFailuresAreExplained(t *testing.T) {
	t.Parallel()
	u := testenv.NewUnreachable(t)
	for _, tc := range []struct {
		name, url string
		cause     egress.Cause
		says      []string
	}{
		{"refused", u.Refused, egress.Refused, []string{"the connection was refused", "firewall"}},
		{"no such host", u.NoSuchHost, egress.NoSuchHost, []string{"DNS has no such name", "DNS"}},
		{"untrusted certificate", u.Untrusted, egress.Untrusted, []string{"not trusted", "SSL_CERT_FILE"}},
		{"no answer", u.Silent, egress.NoAnswer, []string{"no answer in time", "HTTPS_PROXY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			auth := config.Auth{Method: config.MethodClientSecret, ClientID: appClient, ClientSecret: appSecret}
			cred, err := credential.New(auth, credential.Target{TenantID: appTenant, AuthorityHost: tc.url + "/",
				DisableInstanceDiscovery: true, Retry: &policy.RetryOptions{MaxRetries: -1, TryTimeout: 300 * time.Millisecond}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
			var ne *egress.NetworkError
			if !errors.As(err, &ne) || ne.Cause != tc.cause {
				t.Fatalf("GetToken: %v; want a *egress.NetworkError of cause %d", err, tc.cause)
			}
			msg := credential.Explain(err, auth, appTenant)
			host := strings.TrimPrefix(tc.url, "https://")
			for _, s := range append([]string{"tenant " + appTenant, "client_id " + appClient, "no token: cannot reach " + host + ": "}, tc.says...) {
				if !strings.Contains(msg, s) {
					t.Errorf("explanation lacks %q:\n%s", s, msg)
				}
			}
			if strings.Contains(msg, "check tenant_id") || strings.Contains(msg, appSecret) {
				t.Errorf("explanation blames the settings or shows the secret:\n%s", msg)
			}
		})
	}
}

// TestEntraAnswerOutweighsAnEarlierNetworkFailure: a try that lost its
// connection, retried and then refused by Microsoft Entra, is explained by
// Entra's answer, not by the connection.
func TestEntraAnswerOutweighsAnEarlierNetworkFailure(t *testing.T) {
	var tries atomic.Int32
	srv := fakeAuthority(t, func(root string) string { return root + "/oauth2/v2.0/token" }, func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close() // no answer at all
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.","error_codes":[7000215]}`)
	})
	msg, err := getToken(t, srv, &policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond})
	if tries.Load() < 2 {
		t.Fatalf("%d token requests, want a retry after the lost connection", tries.Load())
	}
	var ne *egress.NetworkError
	if errors.As(err, &ne) || !strings.Contains(msg, "client secret is wrong") || strings.Contains(msg, "cannot reach") {
		t.Errorf("explanation %q (error %v), want Entra's refusal of the secret", msg, err)
	}
}

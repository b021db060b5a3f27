package credential

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// TestSecurityTokenTryTimeoutDefault: every try of a token request is
// bounded unless a test shortens it, and a test's other retry options are
// kept.
func TestSecurityTokenTryTimeoutDefault(t *testing.T) {
	if got := clientOptions(Target{}, &refusalLog{}).Retry.TryTimeout; got != DefaultTryTimeout || got > time.Minute {
		t.Errorf("TryTimeout %v, want DefaultTryTimeout (%v)", got, DefaultTryTimeout)
	}
	co := clientOptions(Target{Retry: &policy.RetryOptions{MaxRetries: 1}}, &refusalLog{})
	if co.Retry.TryTimeout != DefaultTryTimeout || co.Retry.MaxRetries != 1 {
		t.Errorf("retry options %+v", co.Retry)
	}
	if co.Transport == nil {
		t.Error("no transport: azcore's default client follows redirects")
	}
}

// TestSecurityTokenRequestCheck: a request with a body goes only to https
// on the authority's host (an explicit :443 is the same host), or to the
// managed-identity endpoint the environment names; body-less requests
// (discovery, IMDS) pass.
func TestSecurityTokenRequestCheck(t *testing.T) {
	t.Setenv("MSI_ENDPOINT", "http://localhost:50342/oauth2/token")
	t.Setenv("IDENTITY_ENDPOINT", "")
	authority := authorityURL("https://login.microsoftonline.com/")
	for raw, ok := range map[string]bool{
		"https://login.microsoftonline.com/t/oauth2/v2.0/token":     true,
		"https://login.microsoftonline.com:443/t/oauth2/v2.0/token": true,
		"https://LOGIN.microsoftonline.com/t/oauth2/v2.0/token":     true,
		"http://login.microsoftonline.com/t/oauth2/v2.0/token":      false,
		"https://login.microsoftonline.com:8443/t/token":            false,
		"https://login.evil.example/t/oauth2/v2.0/token":            false,
		"https://login.microsoftonline.com.evil.example/t/token":    false,
		"http://localhost:50342/oauth2/token":                       true,
		"http://localhost:50343/oauth2/token":                       false,
	} {
		req, _ := http.NewRequest(http.MethodPost, raw, strings.NewReader("client_secret=x"))
		if err := checkTokenRequest(req, authority); (err == nil) != ok {
			t.Errorf("POST %s: %v, want allowed %v", raw, err, ok)
		}
	}
	get, _ := http.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token", nil)
	if err := checkTokenRequest(get, authority); err != nil {
		t.Errorf("GET to IMDS refused: %v", err)
	}
}

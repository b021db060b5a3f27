package credential

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// DefaultTryTimeout bounds one try of a token request (discovery, token,
// managed identity endpoint), so a silent endpoint cannot hang a job: with
// azcore's default of 3 retries a token request gives up within about two
// and a half minutes.
const DefaultTryTimeout = 30 * time.Second

// maxTokenAnswer bounds an identity endpoint's answer: a token response or a
// discovery document is a few KB.
const maxTokenAnswer = 1 << 20

// clientOptions are the azcore options of every credential: the authority,
// a per-try timeout, and a transport that follows no redirect (a 307 from
// the token endpoint would post the client secret again, wherever it
// points), reads at most maxTokenAnswer and sends a request body (a client
// secret or assertion) only to the authority's host over https.
func clientOptions(t Target, refusals *refusalLog) azcore.ClientOptions {
	co := azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: t.AuthorityHost}}
	if t.Retry != nil {
		co.Retry = *t.Retry
	}
	if co.Retry.TryTimeout == 0 {
		co.Retry.TryTimeout = DefaultTryTimeout
	}
	authority := authorityURL(t.AuthorityHost)
	co.Transport = egress.Transport(t.Transport, egress.MaxBody(maxTokenAnswer),
		egress.Only(func(r *http.Request) error { return checkTokenRequest(r, authority) }),
		egress.OnFailure(refusals.store))
	return co
}

// refusalLog keeps the transport's latest refusal or network failure:
// azidentity keeps only the text of a transport error (MSAL reports an
// untrusted certificate as "unable to resolve an endpoint"), and the
// transport's error is what to report.
type refusalLog struct{ last atomic.Pointer[error] }

func (l *refusalLog) store(err error) { l.last.Store(&err) }

// take returns and forgets the latest refusal, nil if none.
func (l *refusalLog) take() error {
	if p := l.last.Swap(nil); p != nil {
		return *p
	}
	return nil
}

// refusalReported puts the transport's refusal (a redirect, a token
// endpoint off the authority's host, an oversized answer) or network
// failure (refused, DNS, TLS, timeout) back into the chain of a failed
// GetToken, so it can be explained and told apart. A network failure of
// an earlier try does not count when Microsoft Entra answered at last.
type refusalReported struct {
	azcore.TokenCredential
	refusals *refusalLog
}

func (c refusalReported) GetToken(ctx context.Context, o policy.TokenRequestOptions) (azcore.AccessToken, error) {
	c.refusals.take()
	tok, err := c.TokenCredential.GetToken(ctx, o)
	if err == nil {
		return tok, nil
	}
	refusal := c.refusals.take()
	var (
		ne *egress.NetworkError
		af *azidentity.AuthenticationFailedError
	)
	if errors.As(refusal, &ne) && errors.As(err, &af) && af.RawResponse != nil {
		refusal = nil
	}
	if refusal != nil {
		return tok, &RefusedError{refusal: refusal, err: err}
	}
	return tok, err
}

// RefusedError is a token request that got no answer from Microsoft
// Entra: the transport refused it, or could not reach the host (see
// package egress). It matches the egress error and the credential's own.
type RefusedError struct {
	refusal error
	err     error
}

func (e *RefusedError) Error() string   { return "no token: " + e.refusal.Error() }
func (e *RefusedError) Unwrap() []error { return []error{e.refusal, e.err} }

// authorityURL is the authority host azidentity signs in at: the configured
// one, else AZURE_AUTHORITY_HOST, else the public cloud's (azidentity's own
// order).
func authorityURL(host string) *url.URL {
	if host == "" {
		host = os.Getenv("AZURE_AUTHORITY_HOST")
	}
	if host == "" {
		host = cloud.AzurePublic.ActiveDirectoryAuthorityHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return &url.URL{}
	}
	return u
}

// checkTokenRequest lets a request that carries a body (every token request
// posts the secret, certificate assertion or federated token) go only to
// https on the authority's host: the token endpoint named by instance or
// tenant discovery, which an attacker who answers discovery could point
// anywhere, must be there. The other exception is the host's own
// managed-identity endpoint as the environment names it (Cloud Shell posts
// to MSI_ENDPOINT). Requests without a body (discovery, the
// managed-identity endpoints of Azure VMs, App Service and Arc) carry
// nothing secret in a body and are let through.
func checkTokenRequest(r *http.Request, authority *url.URL) error {
	if r.Body == nil || r.Body == http.NoBody || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if strings.EqualFold(r.URL.Scheme, "https") && sameHTTPSHost(r.URL, authority) {
		return nil
	}
	for _, v := range []string{"MSI_ENDPOINT", "IDENTITY_ENDPOINT"} {
		if e, err := url.Parse(os.Getenv(v)); err == nil && e.Host != "" &&
			strings.EqualFold(e.Scheme, r.URL.Scheme) && strings.EqualFold(e.Host, r.URL.Host) {
			return nil
		}
	}
	where := r.URL.Host
	if !strings.EqualFold(r.URL.Scheme, "https") {
		where = r.URL.Scheme + "://" + r.URL.Host
	}
	return fmt.Errorf("the credential would be sent to %s, but tokens come from https://%s (authority_host): "+
		"a discovery answer named a token endpoint elsewhere, so something between this host and Microsoft Entra "+
		"is not Microsoft Entra; check authority_host, this host's proxy settings (HTTPS_PROXY) and DNS",
		where, authority.Host)
}

// sameHTTPSHost compares two https URLs' hosts, an absent port being 443.
func sameHTTPSHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		return "443"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

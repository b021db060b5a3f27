package egress_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/egress"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestNetworkErrors: a request that gets no answer fails with a
// *NetworkError naming the host, the cause in the transport's words and
// what to check, against real listeners: a closed port, a name no DNS
// resolves, a certificate nobody trusts, a server that never answers.
func TestNetworkErrors(t *testing.T) {
	t.Parallel()
	u := testenv.NewUnreachable(t)
	for _, tc := range []struct {
		name, url string
		cause     egress.Cause
		permanent bool
		says      []string
	}{
		{"refused", u.Refused, egress.Refused, false, []string{"the connection was refused", "connection refused", "firewall"}},
		{"no such host", u.NoSuchHost, egress.NoSuchHost, false, []string{"DNS has no such name", "no such host", "DNS"}},
		{"untrusted", u.Untrusted, egress.Untrusted, true, []string{"not trusted", "unknown authority", "SSL_CERT_FILE"}},
		{"silent", u.Silent, egress.NoAnswer, false, []string{"no answer in time", "HTTPS_PROXY"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, tc.url+"/path?sig=SECRET", nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = egress.Transport(nil).Do(req)
			var ne *egress.NetworkError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T %v, want a *NetworkError", err, err)
			}
			host := strings.TrimPrefix(tc.url, "https://")
			if ne.Host != host || ne.Cause != tc.cause || ne.Permanent() != tc.permanent {
				t.Errorf("host %q, cause %d, permanent %v; want %q, %d, %v", ne.Host, ne.Cause, ne.Permanent(), host, tc.cause, tc.permanent)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "cannot reach "+host+": ") || strings.Contains(msg, "SECRET") || strings.Contains(msg, "/path") {
				t.Errorf("message %q: want it to start with the host, and no URL", msg)
			}
			for _, s := range tc.says {
				if !strings.Contains(msg, s) {
					t.Errorf("message %q lacks %q", msg, s)
				}
			}
		})
	}
}

// TestNetworkIsNotAnAnswer: what the service answered, or a caller
// cancelled, is no network failure; an error that is one already keeps its
// host.
func TestNetworkIsNotAnAnswer(t *testing.T) {
	for _, err := range []error{nil, errors.New("HTTP 403"), context.Canceled,
		&url.Error{Op: "Get", URL: "https://graph.microsoft.com/", Err: context.Canceled},
		&egress.RedirectError{Status: 302, From: "a", To: "b"}} {
		if ne := egress.Network(err, "graph.microsoft.com"); ne != nil {
			t.Errorf("Network(%v) = %v, want nil", err, ne)
		}
	}
	first := &egress.NetworkError{Host: "login.microsoftonline.com", Cause: egress.Refused, Err: errors.New("x")}
	if ne := egress.Network(errors.Join(errors.New("wrapped"), first), "elsewhere"); ne != first {
		t.Errorf("Network of a wrapped *NetworkError = %v, want it", ne)
	}
	if ne := egress.Network(context.DeadlineExceeded, "graph.microsoft.com"); ne == nil || ne.Host != "graph.microsoft.com" || ne.Cause != egress.NoAnswer {
		t.Errorf("Network(deadline) = %+v, want no answer from the given host", ne)
	}
}

// TestNetworkCertificateCauses: a certificate out of its validity points at
// the clock, one for another name at DNS and the proxy; both are permanent.
func TestNetworkCertificateCauses(t *testing.T) {
	cert := &x509.Certificate{DNSNames: []string{"evil.example"}, NotAfter: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		err   error
		cause egress.Cause
		says  string
	}{
		{x509.CertificateInvalidError{Cert: cert, Reason: x509.Expired}, egress.CertificateTime, "clock"},
		{x509.HostnameError{Certificate: cert, Host: "graph.microsoft.com"}, egress.CertificateName, "HTTPS_PROXY"},
	} {
		err := &url.Error{Op: "Get", URL: "https://graph.microsoft.com/v1.0?sig=SECRET", Err: &tls.CertificateVerificationError{Err: tc.err}}
		ne := egress.Network(err, "")
		if ne == nil || ne.Cause != tc.cause || !ne.Permanent() || ne.Host != "graph.microsoft.com" ||
			!strings.Contains(ne.Error(), tc.says) || strings.Contains(ne.Error(), "SECRET") {
			t.Errorf("Network(%v) = %+v (%v); want cause %d on graph.microsoft.com, permanent, saying %q", tc.err, ne, ne, tc.cause, tc.says)
		}
	}
}

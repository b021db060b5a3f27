// Package egress is how the archiver's requests leave the process for
// Microsoft Graph, Microsoft Entra (tokens) and Azure Storage. None of these
// services redirects the requests the archiver sends (GRAPH-NOTES.md
// "Redirects"), so a 3xx means that something between the archiver and the
// service is not the service: a redirect is never followed, and the answer
// becomes a *RedirectError naming the host it pointed at. Following it would
// send the bearer token (a 302 to plain http on the same host keeps the
// Authorization header), re-post a client secret (307), or archive a page
// that Graph never served.
//
// A request that gets no answer fails with a *NetworkError naming the host,
// the cause and what to check (network.go).
//
// Every client is built here: Client for the default, Transport around a
// caller's (tests pass their own), so no request path can forget the rule.
// Transport also cuts error bodies at MaxErrorBody and can cap every body
// (MaxBody) and refuse a request before it is sent (Only). A request that
// gets no answer fails with a *NetworkError that names the host, the cause
// and what to check (network.go).
package egress

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// MaxErrorBody is how much of an error answer's body (status 400 and
// above) is read: enough for any service's error document, and a hostile
// endpoint cannot fill memory through an error.
const MaxErrorBody = 64 << 10

// maxResponseHeaderBytes bounds the headers of an answer (Go's default is
// 10 MB; the services send a few KB).
const maxResponseHeaderBytes = 1 << 20

// RedirectError is a 3xx answer (other than 304 Not Modified), which is
// never followed. It names hosts only: a Location's path and query may hold
// a signature or a code.
type RedirectError struct {
	Status int
	// From is the host the request went to.
	From string
	// To is the host the Location header names; "" when it names none
	// (absent, relative or unparsable).
	To string
	// Followed: the caller's transport followed the redirect on its own
	// before the answer got here (its target's answer is discarded).
	Followed bool
}

func (e *RedirectError) Error() string {
	to := "no usable location"
	if e.To != "" {
		to = e.To
	}
	verb := "answered"
	if e.Followed {
		verb = "was redirected"
	}
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf(" (HTTP %d %s)", e.Status, http.StatusText(e.Status))
	}
	return fmt.Sprintf("%s %s a redirect to %s%s, which is never followed: the service does not redirect "+
		"these requests, so something between this host and it (a proxy, DNS, a hijacked endpoint) is not the service",
		e.From, verb, to, status)
}

// NonRetriable tells azcore's retry policy that another try cannot help.
func (*RedirectError) NonRetriable() {}

// BodyTooLargeError is returned by a body read past the MaxBody limit.
type BodyTooLargeError struct {
	Limit int64
	Host  string
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("the answer of %s is larger than %s (after decompression); stopped reading it", e.Host, FormatBytes(e.Limit))
}

// NonRetriable tells azcore's retry policy that another try cannot help.
func (*BodyTooLargeError) NonRetriable() {}

// RefusedError is a request that Only refused before it was sent.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string { return "request not sent: " + e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// NonRetriable tells azcore's retry policy that another try cannot help.
func (*RefusedError) NonRetriable() {}

var (
	clientOnce sync.Once
	client     *http.Client
)

// Client is the archiver's HTTP client: the transport settings of azcore's
// default client (proxy from the environment, dial and TLS handshake
// timeouts, TLS 1.2 or newer with verification on, HTTP/2 with health
// pings), bounded response headers, and no redirect ever followed. It is
// shared, so connections are pooled across Graph, Entra and Storage.
func Client() *http.Client {
	clientOnce.Do(func() {
		dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
		tr := &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            dialer.DialContext,
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    10,
			IdleConnTimeout:        90 * time.Second,
			TLSHandshakeTimeout:    10 * time.Second,
			ExpectContinueTimeout:  time.Second,
			MaxResponseHeaderBytes: maxResponseHeaderBytes,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
			// A connection idle for 10 s is pinged; no answer in 5 s
			// closes it (azcore's settings for half-open connections).
			HTTP2: &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second},
		}
		client = &http.Client{Transport: tr, CheckRedirect: refuseRedirect}
	})
	return client
}

// refuseRedirect makes an http.Client hand the 3xx answer back instead of
// following it.
func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Option adds a rule to a Transport.
type Option func(*guard)

// MaxBody caps every answer's body at n bytes as read (after Go's
// transparent gzip decompression): reading further fails with a
// *BodyTooLargeError.
func MaxBody(n int64) Option { return func(g *guard) { g.maxBody = n } }

// Only refuses, before it is sent, every request for which check returns
// an error (a *RefusedError wrapping it).
func Only(check func(*http.Request) error) Option { return func(g *guard) { g.check = check } }

// OnFailure calls report with every *RefusedError, *RedirectError,
// *BodyTooLargeError and *NetworkError the transport returns, for callers
// whose SDK keeps only the text of a transport's error (azidentity).
func OnFailure(report func(error)) Option { return func(g *guard) { g.report = report } }

// Transport wraps next (nil: Client()) with the rules above. An
// *http.Client is copied with its redirects turned off; another
// Transporter (a test's) is trusted not to follow redirects itself, and
// if it does, the answer is refused all the same, as a *RedirectError
// with Followed set.
func Transport(next Doer, opts ...Option) Doer {
	switch c := next.(type) {
	case nil:
		next = Client()
	case *http.Client:
		nc := *c
		nc.CheckRedirect = refuseRedirect
		next = &nc
	case *guard:
		next = c.next // one guard, with the rules given now
	}
	g := &guard{next: next}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Doer sends one HTTP request: *http.Client, and what the Azure SDK calls
// a policy.Transporter (the same method, so either is one).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

type guard struct {
	next    Doer
	maxBody int64
	check   func(*http.Request) error
	report  func(error)
}

func (g *guard) Do(req *http.Request) (*http.Response, error) {
	if g.check != nil {
		if err := g.check(req); err != nil {
			return nil, g.refuse(&RefusedError{Err: err})
		}
	}
	resp, err := g.next.Do(req)
	if err != nil {
		if ne := Network(err, req.URL.Host); ne != nil {
			return resp, g.refuse(ne)
		}
		return resp, err
	}
	if followed(req, resp) {
		drop(resp)
		return nil, g.refuse(&RedirectError{From: req.URL.Host, To: resp.Request.URL.Host, Followed: true})
	}
	if isRedirect(resp.StatusCode) {
		drop(resp)
		return nil, g.refuse(&RedirectError{Status: resp.StatusCode, From: req.URL.Host, To: locationHost(req, resp)})
	}
	if resp.Body != nil {
		switch {
		case resp.StatusCode >= 400:
			resp.Body = cut(resp.Body, MaxErrorBody)
		case g.maxBody > 0:
			resp.Body = &limitedBody{ReadCloser: resp.Body, left: g.maxBody, limit: g.maxBody, host: req.URL.Host, refuse: g.refuse}
		}
	}
	return resp, nil
}

func (g *guard) refuse(err error) error {
	if g.report != nil {
		g.report(err)
	}
	return err
}

// isRedirect: every 3xx but 304 Not Modified, which answers a conditional
// request (If-None-Match) and points nowhere.
func isRedirect(status int) bool {
	return status >= 300 && status < 400 && status != http.StatusNotModified
}

// followed reports whether the answer is for another URL than req asked
// for: a transport that followed a redirect on its own.
func followed(req *http.Request, resp *http.Response) bool {
	if resp.Request == nil || resp.Request.URL == nil || resp.Request == req {
		return false
	}
	a, b := resp.Request.URL, req.URL
	return !strings.EqualFold(a.Scheme, b.Scheme) || !strings.EqualFold(a.Host, b.Host) ||
		a.EscapedPath() != b.EscapedPath() || a.RawQuery != b.RawQuery
}

// locationHost is the host the Location header points at, resolved
// against the request ("" when there is none).
func locationHost(req *http.Request, resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return ""
	}
	u, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	u = req.URL.ResolveReference(u)
	if u.Host == "" {
		return ""
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return u.Scheme + "://" + u.Host
	}
	return u.Host
}

// drop discards an answer that will not be used, reading none of it.
func drop(resp *http.Response) {
	if resp.Body != nil {
		_ = resp.Body.Close()
	}
}

// cut ends body after n bytes, silently: an error text is only shown.
func cut(body io.ReadCloser, n int64) io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(body, n), body}
}

// limitedBody fails a read past its limit.
type limitedBody struct {
	io.ReadCloser
	left, limit int64
	host        string
	refuse      func(error) error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n == 0 && err != nil {
			return 0, err
		}
		return 0, b.refuse(&BodyTooLargeError{Limit: b.limit, Host: b.host})
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// FormatBytes renders a size in the largest binary unit that divides it
// (64 MiB, 1536 KiB, 100 bytes).
func FormatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

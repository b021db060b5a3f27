package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
)

// A request that got no answer from the service failed on the way: the
// connection was refused, the name did not resolve, TLS failed, or time ran
// out. Every such failure names the host and its cause and says what to
// check there (firewall, proxy, DNS, clock, trusted CAs), never the
// credential's settings: the service has not seen the request.

// Cause is why a request got no answer.
type Cause int

const (
	// Refused: nothing accepts connections at the address (or a firewall
	// rejects them).
	Refused Cause = iota + 1
	// NoSuchHost: DNS says the name does not exist.
	NoSuchHost
	// DNSFailure: the name could not be looked up (no DNS server answered).
	DNSFailure
	// Untrusted: the server's certificate is not signed by a trusted CA
	// (a TLS-inspecting proxy, a missing CA bundle).
	Untrusted
	// CertificateTime: the certificate has expired or is not valid yet,
	// as this machine's clock sees it.
	CertificateTime
	// CertificateName: the certificate is for other names: whoever
	// answered is not the service.
	CertificateName
	// Handshake: TLS failed otherwise (a proxy or firewall speaking
	// something else).
	Handshake
	// Unreachable: no route to the address.
	Unreachable
	// ConnectTimeout: no connection within the dial timeout (a firewall
	// that drops packets, no route).
	ConnectTimeout
	// NoAnswer: connected, but no answer came in time.
	NoAnswer
	// Reset: the connection was closed or reset before an answer.
	Reset
	// Proxy: the proxy (HTTPS_PROXY) could not be reached.
	Proxy
)

// NetworkError is a request to Host that got no answer. It matches the
// transport's error with errors.Is and errors.As (context.DeadlineExceeded,
// *net.DNSError, *tls.CertificateVerificationError, …); its text has the
// host and the cause but no URL (a SAS or a code may be in the query).
type NetworkError struct {
	Host  string
	Cause Cause
	// Detail is the transport's own words for it, without the URL.
	Detail string
	Err    error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("cannot reach %s: %s (%s); %s", e.Host, e.what(), e.Detail, e.Remedy())
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Permanent reports whether another attempt cannot help: a certificate
// that does not verify stays so until someone changes something.
func (e *NetworkError) Permanent() bool {
	return e.Cause == Untrusted || e.Cause == CertificateTime || e.Cause == CertificateName
}

func (e *NetworkError) what() string {
	switch e.Cause {
	case Refused:
		return "the connection was refused"
	case NoSuchHost:
		return "DNS has no such name"
	case DNSFailure:
		return "the DNS lookup failed"
	case Untrusted:
		return "its TLS certificate is not trusted"
	case CertificateTime:
		return "its TLS certificate is expired or not valid yet"
	case CertificateName:
		return "its TLS certificate is for another name"
	case Handshake:
		return "the TLS handshake failed"
	case Unreachable:
		return "there is no route to it"
	case ConnectTimeout:
		return "no connection in time"
	case NoAnswer:
		return "no answer in time"
	case Reset:
		return "the connection was closed before an answer"
	case Proxy:
		return "the proxy could not be reached"
	}
	return "the request failed"
}

// Remedy says what to check for the cause.
func (e *NetworkError) Remedy() string {
	switch e.Cause {
	case Refused:
		return "check the endpoint's host and port, that the service runs there, and that no firewall rejects this machine"
	case NoSuchHost:
		return "check the endpoint's spelling and this machine's DNS (a private endpoint needs its private DNS zone)"
	case DNSFailure:
		return "check this machine's DNS servers and network"
	case Untrusted:
		return "if a proxy inspects TLS, add its CA to the system's trust store or point SSL_CERT_FILE at it; TLS verification is never turned off"
	case CertificateTime:
		return "check this machine's clock (and, if it is right, the certificate the server sends)"
	case CertificateName:
		return "DNS or a proxy leads to something else than the service: check the endpoint, this machine's DNS and HTTPS_PROXY"
	case Handshake:
		return "a proxy or firewall may be intercepting the connection: check HTTPS_PROXY, NO_PROXY and the firewall"
	case Unreachable:
		return "check this machine's network, its routes and the firewall"
	case ConnectTimeout:
		return "a firewall may be dropping the connection, or there is no route: check the firewall, HTTPS_PROXY and NO_PROXY"
	case NoAnswer:
		return "the service, or a proxy or firewall on the way, did not answer: check HTTPS_PROXY, NO_PROXY and the firewall; transient if it does not repeat"
	case Reset:
		return "a proxy or firewall may be cutting the connection; transient if it does not repeat"
	case Proxy:
		return "check HTTPS_PROXY (and NO_PROXY for hosts that must not go through it)"
	}
	return "check the network between this machine and the service"
}

// Network tells whether err is a request that got no answer, and why;
// host names the service when err does not (it has no *url.Error, or is
// already a *NetworkError). It returns nil for anything else: an answer,
// a refused redirect, a request cancelled by its caller.
func Network(err error, host string) *NetworkError {
	if err == nil || errors.Is(err, context.Canceled) {
		return nil
	}
	var ne *NetworkError
	if errors.As(err, &ne) {
		return ne
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			host = u.Host
		}
	}
	cause, detail := classify(err)
	if cause == 0 {
		return nil
	}
	if host == "" {
		host = "the service"
	}
	return &NetworkError{Host: host, Cause: cause, Detail: detail, Err: err}
}

// classify finds the cause in err's chain, and the transport's words for
// it.
func classify(err error) (Cause, string) {
	var (
		dns  *net.DNSError
		cv   *tls.CertificateVerificationError
		unk  x509.UnknownAuthorityError
		inv  x509.CertificateInvalidError
		name x509.HostnameError
		op   *net.OpError
		rec  tls.RecordHeaderError
		alrt tls.AlertError
	)
	switch {
	case errors.As(err, &op) && op.Op == "proxyconnect":
		return Proxy, op.Error()
	case errors.As(err, &dns):
		if dns.IsNotFound {
			return NoSuchHost, dns.Error()
		}
		return DNSFailure, dns.Error()
	case errors.As(err, &name):
		return CertificateName, name.Error()
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return CertificateTime, inv.Error()
	case errors.As(err, &unk):
		return Untrusted, unk.Error()
	case errors.As(err, &cv):
		return Untrusted, cv.Err.Error()
	case errors.As(err, &rec):
		return Handshake, rec.Error()
	case errors.As(err, &alrt):
		return Handshake, alrt.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused, innermost(err)
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return Unreachable, innermost(err)
	case errors.As(err, &op) && op.Op == "dial" && op.Timeout():
		return ConnectTimeout, op.Error()
	case isTimeout(err):
		return NoAnswer, innermost(err)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNABORTED):
		return Reset, innermost(err)
	case errors.As(err, &op) && op.Op == "dial":
		return Unreachable, op.Error()
	case errors.As(err, &op):
		return Reset, op.Error() // a read or write on the connection failed
	}
	return 0, ""
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &t) && t.Timeout()
}

// innermost is err's text without the *url.Error around it (its URL may
// carry a SAS in the query).
func innermost(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

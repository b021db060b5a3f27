package graphsim

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"
)

// faultPlan is the fault chosen for one request and its details.
type faultPlan struct {
	kind    FaultKind
	status  int           // FaultServerError: 500, 502 or 503
	early   bool          // FaultReset: before the headers are complete
	wait    time.Duration // FaultThrottle: Retry-After
	variant uint64
}

// faultFor picks the fault of the tenant's n-th Graph request: a scripted
// one, else one drawn from the probabilities with a hash of Seed and n, so a
// run with the same request order meets the same faults.
func (t *Tenant) faultFor(n int, hasSkiptoken bool) faultPlan {
	t.mu.Lock()
	f := t.faults
	t.mu.Unlock()
	h := hash3(uint64(f.Seed), saltFault, int64(n))
	p := faultPlan{variant: splitmix(h)}
	for _, sc := range f.Script {
		if sc.Request == n {
			p.kind = sc.Kind
			break
		}
	}
	if p.kind == FaultNone {
		u := unit(h)
		for _, c := range []struct {
			p    float64
			kind FaultKind
		}{
			{f.ServerError, FaultServerError}, {f.Reset, FaultReset}, {f.Truncate, FaultTruncate},
			{f.Malformed, FaultMalformed}, {f.Slow, FaultSlow}, {f.EarlyEnd, FaultEarlyEnd}, {f.NextLink400, FaultNextLink400},
		} {
			if u < c.p {
				p.kind = c.kind
				break
			}
			u -= c.p
		}
	}
	switch p.kind {
	case FaultNextLink400:
		if !hasSkiptoken {
			p.kind = FaultNone
		}
	case FaultServerError:
		p.status = []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}[p.variant%3]
	case FaultReset:
		p.early = p.variant%2 == 0
	case FaultThrottle:
		p.wait = time.Second + time.Duration(p.variant%3000)*time.Millisecond
	}
	return p
}

var serverErrorCodes = map[int]string{
	http.StatusInternalServerError: "UnknownError",
	http.StatusBadGateway:          "BadGateway",
	http.StatusServiceUnavailable:  "serviceNotAvailable",
}

var serverErrorMessages = map[int]string{
	http.StatusInternalServerError: "",
	http.StatusBadGateway:          "The server, while acting as a gateway, received an invalid response from the upstream server.",
	http.StatusServiceUnavailable:  "Service unavailable, please retry later.",
}

// failEarly applies the faults that strike before the request is looked
// at. It reports whether the request is finished.
func (x *exchange) failEarly(f faultPlan) bool {
	switch f.kind {
	case FaultThrottle:
		x.throttle(f.wait, x.tenant.countFaultThrottle())
	case FaultServerError:
		x.fail(f.status, serverErrorCodes[f.status], serverErrorMessages[f.status])
	case FaultNextLink400:
		x.fail(http.StatusBadRequest, "BadRequest", "The $skiptoken is invalid or has expired.")
	case FaultReset:
		if !f.early {
			return false // the body will be cut instead
		}
		x.resetMidHeaders()
	case FaultSlow:
		if !x.s.stall(x.r, x.tenant.slowDelay()) {
			// The client gave up (or the server closes): abort the
			// connection rather than return, which would send an empty
			// 200 that a client racing its deadline may still read.
			panic(http.ErrAbortHandler)
		}
		return false
	default:
		return false
	}
	return true
}

// countFaultThrottle counts an injected 429 and returns the Retry-After
// form to use.
func (t *Tenant) countFaultThrottle() RetryAfterMode {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.throttled++
	if t.throttle != nil {
		return t.throttle.RetryAfter
	}
	return RetryAfterFractional
}

func (t *Tenant) slowDelay() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.faults.SlowDelay > 0 {
		return t.faults.SlowDelay
	}
	return defaultSlowDelay
}

// stall waits d of real time before a slow response. It reports false when
// the client went away or the server closed meanwhile.
func (s *Server) stall(r *http.Request, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// writePage sends a page, applying body faults. Only a complete, intact 200
// counts its records as served.
func (x *exchange) writePage(pg *page, q *query, f faultPlan) {
	body := pg.render(x.s.base, q)
	if x.s.opts.Pretty {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	switch f.kind {
	case FaultTruncate:
		cut := len(body) / 2
		x.raw(http.StatusOK, body[:cut], len(body)+1+int(f.variant%4096), false)
		return
	case FaultReset:
		x.raw(http.StatusOK, body[:len(body)/2], len(body), true)
		return
	case FaultMalformed:
		x.send(http.StatusOK, malform(body, f.variant))
		return
	}
	x.tenant.markServed(pg.stream, pg.keys, +1)
	if !x.send(http.StatusOK, body) {
		x.tenant.markServed(pg.stream, pg.keys, -1)
		return
	}
	if q.res.needsPremium() {
		x.tenant.notePremiumServed()
	}
}

// malform breaks the JSON of a body in one of the ways Graph's front ends
// have been seen to (cut short, a stray control byte, an HTML error page),
// or with a stray comma before a closing brace inside the records: the
// brackets still close, so only asking again tells it from a record stored
// that way (which NotJSONEvery serves the same on every attempt). Which
// brace follows from variant, so two attempts rarely break the same one.
func malform(body []byte, variant uint64) []byte {
	switch variant % 4 {
	case 0:
		return body[:len(body)*2/3]
	case 1:
		out := bytes.Clone(body)
		out[len(out)/2] = 0
		return out
	case 3:
		var at []int
		for i := 0; i+2 < len(body); i++ {
			if body[i] == '}' && body[i+1] == ',' && body[i+2] == '{' {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			return body[:len(body)*2/3]
		}
		i := at[(variant/4)%uint64(len(at))]
		return append(append(append(make([]byte, 0, len(body)+1), body[:i]...), ','), body[i:]...)
	}
	return []byte("<html><head><title>502 Bad Gateway</title></head><body>upstream timed out</body></html>")
}

// resetMidHeaders sends part of a status line and headers, then resets the
// connection.
func (x *exchange) resetMidHeaders() {
	conn, buf, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		x.fail(http.StatusInternalServerError, "UnknownError", "")
		return
	}
	x.count(0)
	buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json;odata.metad")
	buf.Flush()
	resetConn(conn)
}

// raw writes a response by hand on the hijacked connection: headers that
// declare declared bytes, then body, then a close (reset when rst).
func (x *exchange) raw(status int, body []byte, declared int, rst bool) {
	h := x.header()
	conn, buf, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		x.fail(http.StatusInternalServerError, "UnknownError", "")
		return
	}
	x.count(status)
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", status, http.StatusText(status))
	h.Write(buf)
	fmt.Fprintf(buf, "Content-Length: %d\r\nConnection: close\r\n\r\n", declared)
	buf.Write(body)
	buf.Flush()
	if rst {
		resetConn(conn)
	} else {
		conn.Close()
	}
}

// resetConn closes the TCP connection under conn with an RST instead of an
// orderly shutdown.
func resetConn(conn net.Conn) {
	if tc, ok := conn.(*tls.Conn); ok {
		if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
			tcp.SetLinger(0)
			tcp.Close()
			return
		}
	}
	conn.Close()
}

package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// failure is why one attempt failed and whether another attempt may help.
type failure struct {
	err        error // the final error when permanent, the cause when not
	retry      bool
	status     int           // HTTP status; 0 when there was no answer
	retryAfter time.Duration // from the Retry-After header, when hasAfter
	hasAfter   bool
	// unauthorized: Graph answered 401, which a fresh token may cure.
	unauthorized bool
	// licence: the premium-licence 403 from a tenant known to be licensed,
	// retried because Graph answers it now and then to licensed tenants.
	licence bool
	// timeout: Graph gave up on the query or did not answer in time (408,
	// 5xx, no complete answer within RequestTimeout), which is how it
	// answers a query too wide for it.
	timeout bool
}

// tally counts a page's failed attempts so far.
type tally struct {
	attempts int
	// failures are the failed attempts that say nothing about the budget
	// or the licence (neither 429 nor a licensed tenant's licence 403).
	failures int
	// timeouts are the failures with failure.timeout set.
	timeouts int
}

func (t *tally) add(f *failure) {
	if f.status != http.StatusTooManyRequests && !f.licence {
		t.failures++
	}
	if f.timeout {
		t.timeouts++
	}
}

// permanentError is a final error whose message is written for the person
// who has to fix it; it matches its sentinel and its cause with errors.Is
// and errors.As without repeating the cause's (often verbose) text.
type permanentError struct {
	sentinel error
	msg      string
	cause    error
}

func (e *permanentError) Error() string { return e.msg }

func (e *permanentError) Unwrap() []error {
	var errs []error
	if e.sentinel != nil {
		errs = append(errs, e.sentinel)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// request describes the attempt being classified, for messages.
type request struct {
	stream audit.Stream
	window audit.Window
	filter string
	pageNo int
	next   bool // following a nextLink rather than the window's first request
	// sighted holds the records not valid JSON that earlier attempts at
	// this page met (decodePage); set by fetchPage.
	sighted sightings
}

// classifyStatus turns a non-200 answer into a failure. body is the error
// body Graph sent (already read).
func (s *Source) classifyStatus(rq request, resp *http.Response, body []byte) *failure {
	code := resp.StatusCode
	detail, message := graphMessage(code, body)
	if retryableStatus(code) {
		d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), answeredAt(resp, s.now()))
		return &failure{err: fmt.Errorf("HTTP %s", detail), retry: true, status: code, retryAfter: d, hasAfter: ok,
			timeout: code != http.StatusTooManyRequests}
	}
	f := &failure{status: code}
	switch {
	case code == http.StatusUnauthorized:
		f.unauthorized = true
		f.err = &permanentError{sentinel: audit.ErrUnauthorized, msg: fmt.Sprintf(
			"tenant %s, client_id %s: Graph refused the token — check tenant_id and client_id, that the app is "+
				"registered in this tenant and that graph_endpoint matches the tenant's cloud (HTTP %s)",
			s.tenantID, s.clientID, detail)}
	case code == http.StatusForbidden && mentionsPremium(body):
		return s.classifyLicence(rq, detail)
	case code == http.StatusForbidden:
		f.err = &permanentError{sentinel: audit.ErrForbidden, msg: fmt.Sprintf(
			"grant application permissions AuditLog.Read.All and Directory.Read.All to app %s in tenant %s "+
				"and grant admin consent (stream %s: HTTP %s)", s.clientID, s.tenantID, rq.stream.Name, detail)}
	case code == http.StatusBadRequest:
		return s.classifyBadRequest(rq, detail, message)
	case rq.next && code >= 400 && code < 500:
		f.err = &permanentError{sentinel: audit.ErrPagingFailed, msg: fmt.Sprintf(
			"stream %s: Graph refused the nextLink of page %d (HTTP %s); re-issue the window",
			rq.stream.Name, rq.pageNo, detail)}
	default:
		f.err = fmt.Errorf("stream %s: unexpected answer from Graph: HTTP %s", rq.stream.Name, detail)
	}
	return f
}

// classifyBadRequest tells Graph's 400s apart: a lower time bound older
// than Graph serves, a collection the tenant's cloud does not have, a
// nextLink Graph no longer accepts, and a query it cannot parse. Only the
// last is the filter's fault.
func (s *Source) classifyBadRequest(rq request, detail, message string) *failure {
	f := &failure{status: http.StatusBadRequest}
	if me := s.namedMinimumError(rq, message, detail); me != nil {
		f.err = me
		return f
	}
	segment, missing := missingSegment(message)
	switch {
	case rq.next:
		f.err = &permanentError{sentinel: audit.ErrPagingFailed, msg: fmt.Sprintf(
			"stream %s: Graph refused the nextLink of page %d (HTTP %s); re-issue the window",
			rq.stream.Name, rq.pageNo, detail)}
	case missing:
		// China answers signIns this way (GRAPH-NOTES.md "National
		// clouds"): no filter can fix it.
		f.err = &permanentError{sentinel: audit.ErrNotInCloud, msg: fmt.Sprintf(
			"stream %s is not available in the national cloud of tenant %s: Graph at %s has no %s collection; "+
				"remove %s from this tenant's streams in the config (HTTP %s)",
			rq.stream.Name, s.tenantID, s.endpoint.Host, strconv.Quote(segment), rq.stream.Name, detail)}
	default:
		if me := s.edgeMinimumError(rq, detail); me != nil {
			f.err = me
			return f
		}
		f.err = &permanentError{sentinel: audit.ErrBadRequest, msg: fmt.Sprintf(
			"stream %s: Graph rejected the query (HTTP %s); check the stream's filter: $filter=%s",
			rq.stream.Name, detail, rq.filter)}
	}
	return f
}

// missingSegment recognises Graph's 400 for a path it does not serve,
// "Resource not found for the segment 'signIns'.", and returns the segment.
func missingSegment(message string) (string, bool) {
	m := missingSegmentMessage.FindStringSubmatch(message)
	if m == nil {
		return "", false
	}
	return m[1], true
}

var missingSegmentMessage = regexp.MustCompile(`(?i)Resource not found for the segment '([^']*)'`)

// classifyLicence handles Graph's 403 for tenants without P1/P2. Graph also
// answers it now and then to licensed tenants, mid-paging too (GRAPH-NOTES.md
// "Permissions and licences"), so once the tenant is known to be licensed it
// is retried like a 503; until then it is the verdict, worded per stream.
func (s *Source) classifyLicence(rq request, detail string) *failure {
	if s.Licensed() {
		return &failure{err: fmt.Errorf("HTTP %s", detail), retry: true, status: http.StatusForbidden, licence: true}
	}
	var msg string
	switch {
	case rq.stream.SignIns:
		msg = fmt.Sprintf("sign-in logs need Entra ID P1 or P2 in tenant %s; directory audits keep working", s.tenantID)
	case rq.stream.NeedsPremium():
		msg = fmt.Sprintf("provisioning logs need Entra ID P1 or P2 in tenant %s; without it, remove %s from the tenant's streams",
			s.tenantID, rq.stream.Name)
	default:
		msg = fmt.Sprintf("Graph says tenant %s has no Entra ID P1 or P2 licence", s.tenantID)
	}
	return &failure{status: http.StatusForbidden, err: &permanentError{sentinel: audit.ErrNoPremiumLicense,
		msg: fmt.Sprintf("%s (stream %s: HTTP %s)", msg, rq.stream.Name, detail)}}
}

// giveUp decides whether the retries of a page stop after the failed
// attempt t.attempts, which failed with f, and returns the final error if so.
func (s *Source) giveUp(rq request, t tally, f *failure) error {
	where := fmt.Sprintf("stream %s window %s", rq.stream.Name, rq.window)
	if rq.next {
		where += fmt.Sprintf(" page %d", rq.pageNo)
	}
	early := max(2, s.maxAttempts/2)
	switch {
	case !rq.next && t.timeouts >= early:
		// Graph answers a query too wide for it with 504 (or not at all)
		// on its first page, every time, until the range is narrowed
		// (GRAPH-NOTES.md "Wide queries time out"): waiting out the long
		// backoffs cannot help, splitting the window does.
		return fmt.Errorf("%s: %w: its first page failed %d times the way Graph fails a query too wide for it; "+
			"split the window (Microsoft: \"begin with a call that requests three days of data and iterate with "+
			"shorter timespans\"): %w", where, audit.ErrTimedOut, t.timeouts, f.err)
	case rq.next && t.failures >= early:
		// A nextLink that keeps failing is often broken for good (paging
		// "stops early" in Graph): after half the attempts (the cheap,
		// short backoffs) the caller re-issues the window as halves
		// rather than waiting out the long ones.
		return fmt.Errorf("%s: %w: giving up after %d failed attempts: %w", where, audit.ErrPagingFailed, t.failures, f.err)
	case t.attempts < s.maxAttempts:
		return nil
	case f.licence:
		// Not ErrNoPremiumLicense: the tenant is licensed, and the next
		// run will most likely be served.
		return fmt.Errorf("%s: Graph kept answering the licence 403 (%d attempts) although it served this tenant's "+
			"sign-in or provisioning logs before; it does so now and then on licensed tenants, the next run tries again: %w",
			where, t.attempts, f.err)
	case rq.next:
		return fmt.Errorf("%s: %w: giving up after %d attempts: %w", where, audit.ErrPagingFailed, t.attempts, f.err)
	}
	return fmt.Errorf("%s: giving up after %d attempts: %w", where, t.attempts, f.err)
}

// mentionsPremium recognises Graph's 403 for tenants without P1/P2:
// "Neither tenant is B2C or tenant doesn't have premium license".
func mentionsPremium(body []byte) bool {
	lower := strings.ToLower(string(body))
	return strings.Contains(lower, "premium license") || strings.Contains(lower, "premium licence") ||
		strings.Contains(lower, "requestfromnonpremiumtenant")
}

// graphMessage renders status and Graph's error code and message for an
// error text (`403 Forbidden: Authorization_RequestDenied: Insufficient…`),
// and returns Graph's message alone for recognising the error.
func graphMessage(code int, body []byte) (detail, message string) {
	out := fmt.Sprintf("%d %s", code, http.StatusText(code))
	var ge struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &ge) == nil && (ge.Error.Code != "" || ge.Error.Message != "") {
		if ge.Error.Code != "" {
			out += ": " + ge.Error.Code
		}
		if ge.Error.Message != "" {
			out += ": " + ge.Error.Message
		}
	}
	return truncate(out, 400), ge.Error.Message
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// classifyDoError turns an error from the pipeline (no HTTP answer) into a
// failure: a refused credential is permanent, a transport error transient.
func (s *Source) classifyDoError(err error) *failure {
	var te *tokenError
	if errors.As(err, &te) {
		return s.classifyTokenError(te.err)
	}
	if ne := egress.Network(err, s.endpoint.Host); ne != nil {
		return networkFailure(fmt.Errorf("Graph: %w", ne), ne)
	}
	return classifyTransport(err)
}

// networkFailure: a request that got no answer (package egress) is
// retried, unless the server's certificate does not verify, which no retry
// changes (TLS verification is never turned off). Only a request that
// connected and got no answer in time is a timeout, the way Graph fails a
// query too wide for it; one that could not connect is not.
func networkFailure(err error, ne *egress.NetworkError) *failure {
	return &failure{err: err, retry: !ne.Permanent(), timeout: ne.Cause == egress.NoAnswer}
}

// classifyTransport: an attempt that broke on the wire (reset, truncated or
// stalled body, no answer) is retried; one that ran out of RequestTimeout
// counts as a timeout. The caller has checked that its own context is
// alive, so a deadline here is the attempt's.
func classifyTransport(err error) *failure {
	var ne interface{ Timeout() bool }
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	return &failure{err: err, retry: true, timeout: timeout}
}

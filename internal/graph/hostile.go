package graph

import (
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// What an endpoint that is not Graph can do to a request (issue 15), told
// apart from Graph's own failures: a redirect, which is never followed
// (Graph does not redirect these requests), and a page too large to be one
// of Graph's.

// classifyEgress turns a request that package egress refused into a
// permanent failure, or returns nil. A redirect ends the window: retrying
// would ask the same impostor again, and nothing it served is archived.
func (s *Source) classifyEgress(rq request, err error) *failure {
	var re *egress.RedirectError
	var te *tokenError
	if !errors.As(err, &re) || errors.As(err, &te) {
		return nil // not Graph's answer; a token request's is classifyTokenError's
	}
	how := fmt.Sprintf("answered HTTP %d redirecting to %s", re.Status, re.To)
	switch {
	case re.Followed:
		how = "was redirected to " + re.To
	case re.To == "":
		how = fmt.Sprintf("answered HTTP %d, a redirect with no usable location", re.Status)
	}
	return &failure{status: re.Status, err: &permanentError{cause: err, msg: fmt.Sprintf(
		"stream %s page %d: Graph at %s %s; Graph never redirects these requests, "+
			"so something between this host and Graph (a proxy, DNS, a hijacked endpoint) is not Graph: the redirect "+
			"was not followed and nothing was archived; check graph_endpoint and this host's proxy settings (HTTPS_PROXY) and DNS",
		rq.stream.Name, rq.pageNo, re.From, how)}}
}

// refusedToken is the permanent failure for a token request that the
// credential's transport refused (a redirect, a token endpoint that is not
// on the authority's host, an oversized answer), or nil.
func (s *Source) refusedToken(err error) *failure {
	var (
		re *egress.RedirectError
		rf *egress.RefusedError
		tl *egress.BodyTooLargeError
	)
	var refusal error
	switch {
	case errors.As(err, &re):
		refusal = re
	case errors.As(err, &rf):
		refusal = rf
	case errors.As(err, &tl):
		refusal = tl
	default:
		return nil
	}
	return &failure{err: &permanentError{sentinel: audit.ErrUnauthorized, cause: err, msg: fmt.Sprintf(
		"tenant %s, client_id %s: no token: %v", s.tenantID, s.clientID, refusal)}}
}

// pageTooLarge is the failure for a page whose body passed MaxPageBytes.
// It is not retried (the same page would come again, as large) but ends the
// window's paging, so the job re-issues the window as narrower ones: if
// Graph's records really are this large, a narrower window holds fewer of
// them; if the endpoint is hostile, the splitting stops at the narrowest
// window and the run fails with this message, its memory bounded throughout.
func (s *Source) pageTooLarge(rq request, err error) *failure {
	var tl *egress.BodyTooLargeError
	if !errors.As(err, &tl) {
		return nil
	}
	return &failure{status: 200, err: &permanentError{sentinel: audit.ErrPagingFailed, cause: err, msg: fmt.Sprintf(
		"stream %s window %s page %d: %v: the page is larger than graph.max_page_bytes (%s) after decompression, "+
			"stopped reading it; a page of %d records is normally a few MiB, so either it did not come from Graph "+
			"as Graph sent it (check proxies and DNS) or its records are unusually large (raise graph.max_page_bytes)",
		rq.stream.Name, rq.window, rq.pageNo, audit.ErrPagingFailed, egress.FormatBytes(tl.Limit), s.pageSize)}}
}

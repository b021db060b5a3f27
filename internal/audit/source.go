package audit

import (
	"context"
	"errors"
)

// Source reads activity-log records from Graph (or anything that serves the
// same collections).
type Source interface {
	// Fetch queries one window of one stream and calls page for every page of
	// records, in the order Graph served them, each record inside w. filter is
	// an extra OData clause ANDed to the window filter ("" for none). Fetch
	// retries transient failures itself; an error it returns is final for this
	// attempt at the window and matches one of the sentinel errors below where
	// one applies. If page returns an error, Fetch stops and returns it.
	Fetch(ctx context.Context, s Stream, w Window, filter string, page func([]Record) error) error
}

// Sentinel errors a Source wraps so callers can react without knowing Graph.
var (
	// ErrUnauthorized: the credential was refused (wrong secret, expired
	// certificate, wrong tenant). Retrying will not help.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: authenticated, but the app lacks a permission or consent.
	ErrForbidden = errors.New("forbidden")
	// ErrNoPremiumLicense: the tenant has no Entra ID P1/P2 licence, which
	// Graph requires for sign-in logs.
	ErrNoPremiumLicense = errors.New("tenant has no Entra ID P1/P2 licence")
	// ErrBadRequest: Graph rejected the query (bad filter, wrong operator).
	ErrBadRequest = errors.New("bad request")
	// ErrPagingFailed: the window's paging broke (a nextLink failed for good, or
	// pages could not be parsed); re-issue the window, perhaps split.
	ErrPagingFailed = errors.New("paging failed")
)

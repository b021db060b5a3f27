package audit

import (
	"context"
	"errors"
	"time"
)

// Source reads activity-log records from Graph (or anything that serves the
// same collections).
type Source interface {
	// Fetch queries one window of one stream and calls page for every page
	// Graph serves, in the order served, with the page's records inside w and
	// the records that cannot be archived (Rejects). filter is an extra OData
	// clause ANDed to the window filter ("" for none). Fetch retries transient
	// failures itself; an error it returns is final for this attempt at the
	// window and matches one of the sentinel errors below where one applies.
	// If page returns an error, Fetch stops and returns it. page may be
	// skipped for a page with neither records nor rejects.
	Fetch(ctx context.Context, s Stream, w Window, filter string, page func(Page) error) error
}

// Page is what one page of a query brought.
type Page struct {
	// Records are the page's records inside the window, in the order served.
	Records []Record
	// Rejects are records Graph served that have no readable id or event
	// time: they cannot be placed in a partition or told apart, so they are
	// quarantined rather than archived (a record without a time is passed on
	// by every window whose query serves it).
	Rejects []Reject
	// Served counts every record on the page: inside the window or not,
	// rejects included. It measures Graph's work, which sizes query windows.
	Served int
}

// Reject is a record that cannot be archived, with its bytes as served.
type Reject struct {
	Raw    []byte
	Reason string
}

// Sentinel errors a Source wraps so callers can react without knowing Graph.
var (
	// ErrUnauthorized: the credential was refused (wrong secret, expired
	// certificate, wrong tenant). Retrying will not help.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: authenticated, but the app lacks a permission or consent.
	ErrForbidden = errors.New("forbidden")
	// ErrNoPremiumLicense: the tenant has no Entra ID P1/P2 licence, which
	// Graph requires for sign-in and provisioning logs.
	ErrNoPremiumLicense = errors.New("tenant has no Entra ID P1/P2 licence")
	// ErrBadRequest: Graph rejected the query (bad filter, wrong operator).
	ErrBadRequest = errors.New("bad request")
	// ErrPagingFailed: the window's paging broke (a nextLink failed for good, or
	// pages could not be parsed); re-issue the window, perhaps split.
	ErrPagingFailed = errors.New("paging failed")
	// ErrTimedOut: the window's first page keeps failing (504, 408, 5xx, a
	// client timeout): Graph gives up on wide queries. Re-issue the window
	// split into narrower ones.
	ErrTimedOut = errors.New("query keeps timing out")
	// ErrNotInCloud: the collection does not exist in the tenant's national
	// cloud (Graph: "Resource not found for the segment …").
	ErrNotInCloud = errors.New("not available in this cloud")
	// ErrBeforeMinimumTime: the window begins before the oldest time Graph
	// accepts in a filter. Errors wrapping it are *MinimumTimeError.
	ErrBeforeMinimumTime = errors.New("before Graph's minimum allowed time")
)

// MinimumTimeError is Graph's 400 for a lower time bound older than it
// accepts ("Minimum allowed time for activityDateTime is 2/5/2023 12:00:00
// AM"; sign-ins only say "Invalid filter clause"). Minimum is the time Graph
// named, or the edge computed from Graph's clock when it named none.
type MinimumTimeError struct {
	Minimum time.Time
	// Named: Graph's message gave Minimum; otherwise it was computed.
	Named bool
	Msg   string
}

func (e *MinimumTimeError) Error() string { return e.Msg }

// Is matches ErrBeforeMinimumTime.
func (e *MinimumTimeError) Is(target error) bool { return target == ErrBeforeMinimumTime }

// Graph refuses a query whose lower time bound lies more than about 30 days
// back, day-granular: before midnight UTC 30 days ago (GRAPH-NOTES.md
// "Minimum allowed time"; Graph's own 400 names the instant, e.g. "Minimum
// allowed time for activityDateTime is 2/5/2023 12:00:00 AM"). It does not
// clamp the bound itself.
const (
	// MinimumTimeAge is how far back Graph's minimum allowed time lies.
	MinimumTimeAge = 30 * 24 * time.Hour
	// MinimumTimeMargin makes the edge move to the next day this long before
	// Graph's does, so a query planned just before midnight UTC is not
	// refused when it is sent just after.
	MinimumTimeMargin = time.Hour
)

// MinimumTime is the oldest lower time bound a query may carry when Graph's
// clock reads graphNow: midnight UTC MinimumTimeAge back, taken
// MinimumTimeMargin early.
func MinimumTime(graphNow time.Time) time.Time {
	return Day.Floor(graphNow.UTC().Add(MinimumTimeMargin)).Add(-MinimumTimeAge)
}

// EarliestFrom is the earliest window start whose filter Graph accepts when
// its minimum allowed time is min: streams filtered with gt render their
// lower bound a second before the window.
func (s Stream) EarliestFrom(min time.Time) time.Time {
	if s.ExclusiveBounds {
		return min.Add(time.Second)
	}
	return min
}

// ServerClock is implemented by a Source that follows Graph's clock (from
// the Date header of its answers).
type ServerClock interface {
	// ServerNow is Graph's current time as far as the source knows it; ok
	// is false before Graph has answered.
	ServerNow() (now time.Time, ok bool)
}

// Licence is implemented by a Source that learns whether the tenant has an
// Entra ID P1/P2 licence. Graph answers the licence 403 now and then on
// licensed tenants too (GRAPH-NOTES.md), so a tenant that has been served
// sign-in or provisioning logs once is licensed, and its later licence 403s
// are retried like a 503 instead of ending the run.
type Licence interface {
	// Licensed reports whether the tenant is known to be licensed.
	Licensed() bool
	// NoteLicensed records that the tenant is licensed (a sign-in or
	// provisioning stream of it has succeeded before, as its state says).
	NoteLicensed()
}

// NeedsPremium reports whether Graph serves the stream only to tenants with
// Entra ID P1/P2 (sign-ins and provisioning; directory audits work on Free).
func (s Stream) NeedsPremium() bool { return s.SignIns || s.Name == Provisioning.Name }

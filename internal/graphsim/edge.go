package graphsim

import (
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Graph refuses a query whose lower time bound lies before its minimum
// allowed time, midnight UTC 30 days back, with a 400; it does not clamp the
// bound (GRAPH-NOTES.md "Minimum allowed time"). Directory audits and
// provisioning name the edge in US form ("Minimum allowed time for
// activityDateTime is 2/5/2023 12:00:00 AM"); sign-ins only say "Invalid
// filter clause".
//
// A nextLink carries the query's filter, so once the edge passes the
// query's lower bound (at midnight UTC, while paging) its nextLinks are
// refused the same way. What Graph does then is not documented; refusing is
// the plausible and the harsher choice, and a client must survive it by
// re-planning the window from the edge.

// usDateTime is how Graph's message writes the edge.
const usDateTime = "1/2/2006 3:04:05 PM"

// minimumTime is the oldest lower time bound the tenant's Graph accepts at
// now; ok is false when the tenant accepts any bound.
func (t *Tenant) minimumTime(now time.Time) (edge time.Time, ok bool) {
	if t.minimumTimeAge <= 0 {
		return time.Time{}, false
	}
	return audit.Day.Floor(now).Add(-t.minimumTimeAge), true
}

// checkMinimumTime returns Graph's 400 for a query whose lower bound lies
// before the minimum allowed time at now, or nil.
func (t *Tenant) checkMinimumTime(q *query, now time.Time) error {
	edge, ok := t.minimumTime(now)
	if !ok || q.plan.lowest >= toTicks(edge) {
		return nil
	}
	if q.res.kind == kindSignIn {
		return badRequest("Invalid filter clause")
	}
	return badRequest("Specified argument was out of the range of valid values. (Parameter 'Minimum allowed time for %s is %s')",
		q.res.timeField, edge.Format(usDateTime))
}

package graphsim

// Graph gives up on wide queries: a large sign-in query answers 504 Gateway
// Timeout on its first request, every time, until the time range is
// narrowed (GRAPH-NOTES.md "Wide queries time out"). What costs Graph is the
// span it scans, not what the rest of the filter keeps, so the rule counts
// the stream's records between the query's time bounds; it is two binary
// searches on the timeline. Once a first page was served, its nextLinks go
// on: Graph has done the work.

// Graph's 504 names no cause; clients must act on the status.
const (
	gatewayTimeoutCode    = "GatewayTimeout"
	gatewayTimeoutMessage = "The operation has timed out."
)

// scope is the part of event time a query sees at now: its filter's span
// within retention and not in the future.
func (t *Tenant) scope(q *query, now int64) span {
	return span{
		from: max(q.plan.span.from, now-durTicks(t.retention())),
		to:   min(q.plan.span.to, now+1),
	}
}

// timesOut reports whether Graph gives up on the request: a first page
// whose scope holds more than the tenant's WideQuery records.
func (t *Tenant) timesOut(q *query, now int64) bool {
	if t.wideQuery <= 0 || q.cursor >= 0 {
		return false
	}
	lo, hi := t.streams[q.plan.stream.Name].tl.indexes(t.scope(q, now))
	return hi-lo > t.wideQuery
}

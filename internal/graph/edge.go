package graph

import (
	"fmt"
	"regexp"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Graph refuses a query whose lower time bound is older than its minimum
// allowed time, midnight UTC about 30 days back, with HTTP 400, and never
// clamps the bound itself (GRAPH-NOTES.md "Minimum allowed time"). A client
// that keeps asking from an old watermark gets that 400 for ever, so it is
// told apart from a bad filter and returned as *audit.MinimumTimeError: the
// job re-plans from Minimum and records what lies before it as lost.

// minimumTimeMessage matches directoryAudits' and provisioning's wording:
// "Specified argument was out of the range of valid values. (Parameter
// 'Minimum allowed time for activityDateTime is 2/5/2023 12:00:00 AM')".
var minimumTimeMessage = regexp.MustCompile(`Minimum allowed time for (\w+) is (\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M)`)

// minimumTimeLayout is the US form Graph names the instant in, in UTC.
const minimumTimeLayout = "1/2/2006 3:04:05 PM"

// edgeSlack is how far after Graph's edge (by Graph's clock) a window may
// begin and still have its unexplained 400 taken for the minimum-time one:
// signIns name no instant, and Graph's day boundary may not be exactly ours.
const edgeSlack = 24 * time.Hour

// namedMinimumError recognises the 400 whose message names Graph's minimum
// allowed time, on a first request or a nextLink alike; nil if message is
// another one.
func (s *Source) namedMinimumError(rq request, message, detail string) *audit.MinimumTimeError {
	m := minimumTimeMessage.FindStringSubmatch(message)
	if m == nil {
		return nil
	}
	minimum, err := time.ParseInLocation(minimumTimeLayout, m[2], time.UTC)
	if err != nil {
		return nil //nolint:nilerr // not Graph's minimum-time message after all
	}
	return &audit.MinimumTimeError{Minimum: minimum, Named: true, Msg: fmt.Sprintf(
		"stream %s: Graph no longer serves logs before %s (its minimum allowed time for %s; window %s, HTTP %s); "+
			"the job resumes from there", rq.stream.Name, audit.FormatTime(minimum), m[1], rq.window, detail)}
}

// edgeMinimumError takes a first request's unexplained 400 for the
// minimum-time one when the window begins before Graph's edge, or within
// edgeSlack after it: signIns answer that case with only "Invalid filter
// clause". Minimum is then computed from Graph's clock (the Date header of
// its answers, else the host's). A window further from the edge gets nil:
// its 400 is the query's own.
func (s *Source) edgeMinimumError(rq request, detail string) *audit.MinimumTimeError {
	if rq.next {
		return nil
	}
	now := s.graphNow(s.now())
	edge := audit.Day.Floor(now).Add(-audit.MinimumTimeAge)
	if !rq.window.From.Before(edge.Add(edgeSlack)) {
		return nil
	}
	minimum := audit.MinimumTime(now)
	return &audit.MinimumTimeError{Minimum: minimum, Msg: fmt.Sprintf(
		"stream %s: Graph no longer serves logs before %s (midnight UTC %d days back by Graph's clock %s, with a margin): "+
			"it refused window %s, which begins before or near that edge (HTTP %s); the job resumes from there",
		rq.stream.Name, audit.FormatTime(minimum), int(audit.MinimumTimeAge/(24*time.Hour)),
		audit.FormatTime(now.Truncate(time.Second)), rq.window, detail)}
}

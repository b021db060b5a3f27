package graph

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// tenantFacts is what a Source learns about its tenant from Graph's
// answers, shared by all the tenant's streams (which fetch concurrently):
// Graph's clock and whether the tenant is licensed for sign-in logs.
type tenantFacts struct {
	clock serverClock
	// licensed: Graph served a stream that needs P1/P2 (or the job said it
	// did before), so its licence 403 is one of Graph's intermittent ones.
	licensed atomic.Bool
}

// Licensed reports whether the tenant is known to hold an Entra ID P1/P2
// licence: Graph answered 200 to one of its sign-in or provisioning
// queries, or NoteLicensed was called. See audit.Licence.
func (f *tenantFacts) Licensed() bool { return f.licensed.Load() }

// NoteLicensed records that the tenant is licensed (its state shows that a
// sign-in or provisioning stream succeeded before).
func (f *tenantFacts) NoteLicensed() { f.licensed.Store(true) }

// noteServed learns from a 200 to stream st: Graph serves sign-in and
// provisioning logs only to licensed tenants (GRAPH-NOTES.md "Permissions
// and licences").
func (f *tenantFacts) noteServed(st audit.Stream) {
	if st.NeedsPremium() {
		f.licensed.Store(true)
	}
}

// ServerNow is Graph's current time as its last answer told it (to a
// second); ok is false before the first answer.
func (f *tenantFacts) ServerNow() (now time.Time, ok bool) {
	f.clock.mu.Lock()
	defer f.clock.mu.Unlock()
	if f.clock.date.IsZero() {
		return time.Time{}, false
	}
	return f.clock.date.Add(time.Since(f.clock.received)), true
}

// graphNow is Graph's time if an answer told it, else hostNow.
func (f *tenantFacts) graphNow(hostNow time.Time) time.Time {
	if now, ok := f.ServerNow(); ok {
		return now
	}
	return hostNow
}

// serverClock follows Graph's clock from the Date header of its answers,
// carried forward on the monotonic clock, so that a wrong or jumping host
// clock can be told from Graph's.
type serverClock struct {
	mu       sync.Mutex
	date     time.Time // the latest Date header
	received time.Time // when it arrived (with a monotonic reading)
}

func (c *serverClock) observe(header string) {
	d, err := http.ParseTime(header)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.date, c.received = d, time.Now()
	c.mu.Unlock()
}

// Package capacity states how much of Microsoft Graph's request budget a
// tenant's jobs need (DESIGN.md "Capacity is stated", GRAPH-NOTES.md
// "Capacity"). Graph allows an app a few requests per 10 s per directory
// (rate_limit, default 5 / 10 s, about 43,200 a day) for all the streams it
// reads there. Each stream needs, per day,
//
//	passes × (runs_per_day + records_per_day / 1,000)
//
// requests: a page holds up to 1,000 records, every pass (the first read and
// one per recheck age) reads every record once, and each run queries each
// pass at least once. A need ratio of 1 means the budget is spent: the tenant
// falls further behind every day until Graph's retention edge overtakes it.
//
// The functions are pure: callers bring the configuration (schedule, recheck
// ages, rate limit, budget group) and the observed volume (state's
// RecordsPerDay).
package capacity

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// RecordsPerRequest is the most records one Graph page holds.
const RecordsPerRequest = 1000

// Warn is the need ratio from which a tenant is warned about: its budget is
// nearly spent, and a day of higher volume or a burst of retries would make
// it fall behind.
const Warn = 0.8

// Rate is a request budget: Requests per Per.
type Rate struct {
	Requests int
	Per      time.Duration
}

// DefaultRate is Graph's budget per app per directory: 5 requests per 10 s.
var DefaultRate = Rate{Requests: 5, Per: 10 * time.Second}

// PerDay is the number of requests the rate allows in a day; 0 for a rate
// that allows none.
func (r Rate) PerDay() float64 {
	if r.Requests <= 0 || r.Per <= 0 {
		return 0
	}
	return float64(r.Requests) * float64(24*time.Hour) / float64(r.Per)
}

// Need is the requests a day one stream needs: each pass (the first read,
// then one per recheck age) reads every record once, 1,000 a request, and
// each run queries each pass at least once.
func Need(runsPerDay float64, rechecks int, recordsPerDay float64) float64 {
	return float64(1+max(rechecks, 0)) * (max(runsPerDay, 0) + max(recordsPerDay, 0)/RecordsPerRequest)
}

// countSpan is how long a cron spec's activations are counted over: four
// weeks, so that a schedule on some days of the week averages right.
const countSpan = 28 * 24 * time.Hour

// countFrom is the instant the count starts: a Monday, midnight UTC.
var countFrom = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// RunsPerDay is how often a schedule (a robfig/cron spec as the scheduler
// reads it: five fields or a descriptor such as "@every 15m", in UTC) runs a
// job on an average day: "@every 15m" runs 96 times, "0 * * * *" 24,
// "0 3 * * 1" (Mondays) 1/7.
func RunsPerDay(schedule string) (runs float64, err error) {
	defer func() {
		// cron v3 panics on some malformed specs ("TZ=UTC" alone).
		if r := recover(); r != nil {
			runs, err = 0, fmt.Errorf("schedule %q: malformed spec", schedule)
		}
	}()
	sched, err := cron.ParseStandard(schedule)
	if err != nil {
		return 0, fmt.Errorf("schedule %q: %w", schedule, err)
	}
	if every, ok := sched.(cron.ConstantDelaySchedule); ok {
		// Counting an "@every 1s" one activation at a time would take
		// millions of steps; its rate is plain.
		return float64(24*time.Hour) / float64(every.Delay), nil
	}
	end := countFrom.Add(countSpan)
	n := 0
	for t := sched.Next(countFrom); !t.IsZero() && !t.After(end); t = sched.Next(t) {
		n++
	}
	return float64(n) * float64(24*time.Hour) / float64(countSpan), nil
}

// GroupKey names the budget a tenant's jobs draw on. Graph's budget is per
// app per directory, so configured tenants that are the same directory
// (tenant_id) at the same Graph endpoint read by the same app (client_id)
// share one budget, whatever their names.
func GroupKey(graphEndpoint, tenantID, clientID string) string {
	return strings.ToLower(strings.TrimRight(graphEndpoint, "/")) + "|" + strings.ToLower(tenantID) + "|" + strings.ToLower(clientID)
}

// Job is one tenant × stream as the budget sees it.
type Job struct {
	Tenant string
	// Group is the job's budget group (GroupKey); "" means the tenant's
	// own budget.
	Group string
	// Rate is the tenant's rate_limit. The jobs of a group share the budget
	// of the group's first job, as the daemon paces them with one limiter
	// built from the first tenant of the group.
	Rate     Rate
	Schedule string
	// Rechecks is the number of recheck ages.
	Rechecks int
	// RecordsPerDay is the stream's observed volume (0 when not known yet).
	RecordsPerDay float64
}

// ErrNoBudget: a job's rate allows no request at all.
var ErrNoBudget = errors.New("rate limit allows no request")

// Ratios returns each tenant's need ratio: the requests a day all jobs of
// its budget group need over the requests a day the group's budget allows.
// Tenants of one group get the same ratio. A job whose schedule does not
// parse or whose group has no budget is an error naming it; the other
// tenants still get their ratios.
func Ratios(jobs []Job) (map[string]float64, error) {
	type group struct {
		budget, need float64
		tenants      []string
	}
	groups := map[string]*group{}
	var order []string
	var errs []error
	for _, j := range jobs {
		key := j.Group
		if key == "" {
			key = "tenant|" + j.Tenant
		}
		g, ok := groups[key]
		if !ok {
			g = &group{budget: j.Rate.PerDay()}
			groups[key] = g
			order = append(order, key)
		}
		if !slices.Contains(g.tenants, j.Tenant) {
			g.tenants = append(g.tenants, j.Tenant)
		}
		runs, err := RunsPerDay(j.Schedule)
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", j.Tenant, err))
			g.need = math.NaN()
			continue
		}
		g.need += Need(runs, j.Rechecks, j.RecordsPerDay)
	}
	out := make(map[string]float64, len(groups))
	for _, key := range order {
		g := groups[key]
		if g.budget <= 0 {
			errs = append(errs, fmt.Errorf("tenant %s: %w", g.tenants[0], ErrNoBudget))
			continue
		}
		if math.IsNaN(g.need) {
			continue
		}
		for _, t := range g.tenants {
			out[t] = g.need / g.budget
		}
	}
	return out, errors.Join(errs...)
}

package bench

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// ThrottleOptions configure the throttle scenario: graphsim enforces Limit
// per tenant and the config sets the same rate_limit; a tenant without state
// runs `once`, which backfills Graph's whole retention (30 days).
type ThrottleOptions struct {
	Binary, Dir string
	// Limit is the per-tenant budget, time-scaled (Graph: 5 per 10 s);
	// default 5 per 1 s.
	Limit RateLimit
	// Profiles are the tenants, each run on its own; default BusyTenant,
	// BusyStream and QuietTenant.
	Profiles []Profile
	// Start is the config's start (default retention: Graph's 30 days).
	Start string
	Logf  func(format string, args ...any)
}

// Profile is a simulated tenant's volume: records per hour per stream.
type Profile struct {
	Name   string
	Volume map[string]float64
}

// The default profiles. The busy tenant's volume is scaled down with time
// (a real busy tenant logs 100 times more) so that 30 days fit in minutes at
// 5 requests per second; requests per 1,000 records depend on the query
// windows holding many pages, not on the absolute volume.
// BusyStream is a busy tenant archiving one stream: nothing fetches while
// its batches are sorted and written.
var (
	BusyTenant  = Profile{Name: "busy", Volume: map[string]float64{"interactive-signins": 1000, "directory-audits": 500}}
	BusyStream  = Profile{Name: "busy, one stream", Volume: map[string]float64{"interactive-signins": 1000}}
	QuietTenant = Profile{Name: "quiet", Volume: map[string]float64{"interactive-signins": 5, "directory-audits": 2}}
)

// ThrottleResult is one throttle scenario.
type ThrottleResult struct {
	Limit RateLimit
	Runs  []ThrottleRun
}

// ThrottleRun is one tenant's backfill.
type ThrottleRun struct {
	Profile Profile
	// Days of history archived (longest stream) and records archived (all
	// streams; equal to what Graph serves for those spans).
	Days    float64
	Records int
	// Requests and Throttled (429) as graphsim counted them; MaxInWindow is
	// the most requests in any window of the limit's length.
	Requests, Throttled, MaxInWindow int
	// Span is the time from the first to the last Graph request.
	Span  time.Duration
	Rate  float64 // requests per second over Span
	Usage Usage
}

// RunThrottle runs each profile's backfill.
func RunThrottle(ctx context.Context, o ThrottleOptions) (*ThrottleResult, error) {
	if o.Limit.Requests == 0 {
		o.Limit = RateLimit{Requests: 5, Per: time.Second}
	}
	if len(o.Profiles) == 0 {
		o.Profiles = []Profile{BusyTenant, BusyStream, QuietTenant}
	}
	if o.Start == "" {
		o.Start = "retention"
	}
	res := &ThrottleResult{Limit: o.Limit}
	for i, p := range o.Profiles {
		if o.Logf != nil {
			o.Logf("throttle: %s tenant backfills from %s at %d requests per %s", p.Name, o.Start, o.Limit.Requests, o.Limit.Per)
		}
		run, err := o.backfill(ctx, p, benchTenant(100+i), filepath.Join(o.Dir, fmt.Sprintf("throttle-%d", i)))
		if err != nil {
			return res, fmt.Errorf("%s tenant: %w", p.Name, err)
		}
		res.Runs = append(res.Runs, run)
	}
	return res, nil
}

func (o ThrottleOptions) backfill(ctx context.Context, p Profile, ti tenantIdentity, dir string) (ThrottleRun, error) {
	run := ThrottleRun{Profile: p}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return run, err
	}
	defer os.RemoveAll(dir)
	var reqs requestLog
	cfg := ti.simTenant(int64(len(p.Name)))
	cfg.Volume = p.Volume
	// Graph keeps 30 days; a day more here keeps the oldest partition
	// stable while the run lasts, so the archive can be compared exactly.
	cfg.Retention = 31 * 24 * time.Hour
	// The archive is compared with what Graph serves after the run: a
	// record of the 20–30 h late tail turning visible in between would
	// count as missing (the 72 h recheck finds it later).
	cfg.LateTail = graphsim.Late{Fraction: -1}
	cfg.Throttle = &graphsim.Throttle{Requests: o.Limit.Requests, Per: o.Limit.Per, RetryAfter: graphsim.RetryAfterFractional}
	sim, err := startSim(dir, graphsim.Options{Tenants: []graphsim.TenantConfig{cfg}, Logf: reqs.logf})
	if err != nil {
		return run, err
	}
	defer sim.Close()
	streams := slices.Sorted(maps.Keys(p.Volume))
	st := Storage{Local: filepath.Join(dir, "archive")}
	a, err := newArchiver(o.Binary, filepath.Join(dir, "run"), sim, archiverConfig{
		Storage: st, App: unlimited, Tenants: []tenantIdentity{ti},
		Defaults: fmt.Sprintf("  streams: [%s]\n  rate_limit: %s\n  start: %s\n", strings.Join(streams, ", "), o.Limit.yaml(), o.Start),
	})
	if err != nil {
		return run, err
	}
	if run.Usage, err = a.run(ctx, "once"); err != nil {
		return run, err
	}
	stats := sim.Tenant(ti.ID).Stats()
	run.Requests, run.Throttled, run.MaxInWindow = stats.Requests, stats.Throttled, stats.MaxInWindow
	times := reqs.snapshot()
	run.Span, run.Rate = span(times), rate(times)
	sink, err := openSink(ctx, st)
	if err != nil {
		return run, err
	}
	for _, name := range streams {
		s, _, found, err := state.DocStore{Sink: sink}.Load(ctx, ti.Name, name)
		if err != nil || !found {
			return run, fmt.Errorf("state of %s: found %v, %w", name, found, err)
		}
		got, _, err := countArchive(ctx, sink, layout.Layout{}.StreamDir(ti.Name, name))
		if err != nil {
			return run, err
		}
		want := sim.Tenant(ti.ID).Count(name, audit.Window{From: s.Start, To: s.Watermark}, time.Now())
		if got != want {
			return run, fmt.Errorf("%s: archived %d records, Graph serves %d for %s", name, got, want, audit.Window{From: s.Start, To: s.Watermark})
		}
		run.Records += got
		run.Days = max(run.Days, s.Watermark.Sub(s.Start).Hours()/24)
	}
	return run, nil
}

// graphTenantRate is Graph's per-tenant budget in requests per second.
const graphTenantRate = 5.0 / 10

// WriteMarkdown renders the result.
func (r *ThrottleResult) WriteMarkdown(w io.Writer) {
	limit := float64(r.Limit.Requests) / r.Limit.Per.Seconds()
	fmt.Fprintf(w, "Throttle: graphsim allows %d requests per %s per tenant and the config sets the same rate_limit (Graph's 5 per 10 s, time ×%.0f); each tenant backfills from scratch with `once`:\n\n",
		r.Limit.Requests, r.Limit.Per, limit/graphTenantRate)
	fmt.Fprintln(w, "| tenant | streams | days | records | requests | 429s | 429 per 1,000 requests | requests per 1,000 records | requests per day of history | request rate /s | rate vs limit | max in one window | wall s | CPU s |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, run := range r.Runs {
		fmt.Fprintf(w, "| %s | %s | %.1f | %d | %d | %d | %.2f | %.3f | %.2f | %.2f | %.1f %% | %d | %.0f | %.1f |\n",
			run.Profile.Name, volumes(run.Profile), run.Days, run.Records, run.Requests, run.Throttled,
			1000*float64(run.Throttled)/float64(run.Requests), 1000*float64(run.Requests)/float64(max(run.Records, 1)),
			float64(run.Requests)/run.Days, run.Rate, 100*run.Rate/limit, run.MaxInWindow,
			run.Usage.Wall.Seconds(), run.Usage.CPU().Seconds())
	}
	fmt.Fprintln(w)
}

// volumes describes a profile's streams and volumes.
func volumes(p Profile) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(p.Volume)) {
		parts = append(parts, fmt.Sprintf("%s %g/h", name, p.Volume[name]))
	}
	return strings.Join(parts, ", ")
}

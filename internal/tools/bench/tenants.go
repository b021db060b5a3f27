package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// TenantsOptions configure the many-tenants scenario: one daemon archives
// Tenants tenants × 6 streams under one per-app budget; tenant 0 backfills
// Graph's retention from scratch while the others run incrementally on
// their schedule. Limits are Graph's, time-scaled by Scale.
type TenantsOptions struct {
	Binary, Dir string
	// Tenants (default 100), Scale (default 5: Graph's 10 s windows become
	// 2 s, the 15 min schedule becomes 3 min) and Period, the schedule of
	// the scaled run (default 60 s).
	Tenants int
	Scale   int
	Period  time.Duration
	// Rounds is how many ticks are judged (default 3); the daemon runs
	// Rounds + 1.5 periods.
	Rounds int
	Logf   func(format string, args ...any)
}

// smallVolume is records per hour of each small tenant's streams.
var smallVolume = map[string]float64{
	"interactive-signins": 120, "noninteractive-signins": 600, "serviceprincipal-signins": 60,
	"managedidentity-signins": 30, "directory-audits": 40, "provisioning": 5,
}

// bigVolume is the backfilling tenant's.
var bigVolume = map[string]float64{
	"interactive-signins": 3000, "noninteractive-signins": 20000, "serviceprincipal-signins": 2000,
	"managedidentity-signins": 1000, "directory-audits": 500, "provisioning": 100,
}

// TenantsResult is the many-tenants scenario.
type TenantsResult struct {
	Tenants       int
	Period        time.Duration
	TenantLimit   RateLimit
	AppLimit      RateLimit
	Small         roundStats
	BigRecords    int
	BigRequests   int
	AppRequests   int
	AppThrottled  int
	AppRate       float64 // Graph requests per second while the daemon ran
	Throttled     int     // 429s, all tenants
	MaxTenantSeen int     // most requests of one tenant in one window
	Daemon        Usage
	SeedUsage     Usage
}

// RunTenants runs the scenario.
func RunTenants(ctx context.Context, o TenantsOptions) (*TenantsResult, error) {
	if o.Tenants == 0 {
		o.Tenants = 100
	}
	if o.Scale == 0 {
		o.Scale = 5
	}
	if o.Period == 0 {
		o.Period = time.Minute
	}
	if o.Rounds == 0 {
		o.Rounds = 3
	}
	per := 10 * time.Second / time.Duration(o.Scale)
	const settle = 15 * time.Minute // the default; not scaled: it is about Graph's delays
	res := &TenantsResult{Tenants: o.Tenants, Period: o.Period,
		TenantLimit: RateLimit{Requests: 5, Per: per}, AppLimit: RateLimit{Requests: 122, Per: per}}
	var (
		ids   []tenantIdentity
		cfgs  []graphsim.TenantConfig
		small []tenantIdentity
	)
	for i := range o.Tenants {
		ti := benchTenant(200 + i)
		c := ti.simTenant(int64(i + 1))
		c.Volume = smallVolume
		if i == 0 {
			c.Volume = bigVolume
		} else {
			small = append(small, ti)
		}
		c.Throttle = &graphsim.Throttle{Requests: 5, Per: per}
		ids, cfgs = append(ids, ti), append(cfgs, c)
	}
	big := ids[0]
	var reqs requestLog
	sim, err := startSim(o.Dir, graphsim.Options{Tenants: cfgs, AppThrottle: &graphsim.Throttle{Requests: 122, Per: per}, Logf: reqs.logf})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	st := Storage{Local: filepath.Join(o.Dir, "tenants-archive")}
	defer os.RemoveAll(st.Local)
	conf := func(tenants []tenantIdentity, start string) archiverConfig {
		return archiverConfig{
			Storage: st, App: res.AppLimit, Tenants: tenants,
			Defaults: fmt.Sprintf("  streams: [all]\n  schedule: \"@every %s\"\n  rate_limit: %s\n  start: %s\n",
				o.Period, res.TenantLimit.yaml(), start),
			TenantExtra: func(ti tenantIdentity) string {
				if ti == big {
					return "    start: retention\n"
				}
				return ""
			},
		}
	}
	if o.Logf != nil {
		o.Logf("tenants: %d small tenants catch up on the last 2 h (once)", len(small))
	}
	seed, err := newArchiver(o.Binary, filepath.Join(o.Dir, "tenants-seed"), sim, conf(small, "2h"))
	if err != nil {
		return nil, err
	}
	if res.SeedUsage, err = seed.run(ctx, "once"); err != nil {
		return nil, err
	}
	before := sim.AppStats()
	bigBefore := sim.Tenant(big.ID).Stats().Requests
	if o.Logf != nil {
		o.Logf("tenants: daemon with %d tenants × 6 streams for %d periods of %s; %s backfills 30 days", o.Tenants, o.Rounds, o.Period, big.Name)
	}
	daemon, err := newArchiver(o.Binary, filepath.Join(o.Dir, "tenants-daemon"), sim, conf(ids, "2h"))
	if err != nil {
		return nil, err
	}
	var log runLog
	cmd := daemon.command(ctx, "run")
	// The whole log stays in the work folder for a closer look.
	logFile, err := os.Create(filepath.Join(o.Dir, "tenants-daemon", "daemon.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd.Stdout = io.MultiWriter(&log, logFile)
	cmd.Stderr = cmd.Stdout
	started := time.Now()
	// The last judged tick is Rounds−1 periods in; its deadline is two
	// periods later.
	stopAfter := time.Duration(o.Rounds+1)*o.Period + o.Period/2
	if res.Daemon, err = measure(cmd, stopAfter); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, log.String())
	}
	stopped := time.Now()
	after := sim.AppStats()
	res.AppRequests = after.Requests - before.Requests
	res.AppThrottled = after.Throttled - before.Throttled
	res.AppRate = float64(res.AppRequests) / stopped.Sub(started).Seconds()
	res.BigRequests = sim.Tenant(big.ID).Stats().Requests - bigBefore
	for _, ti := range ids {
		res.MaxTenantSeen = max(res.MaxTenantSeen, sim.Tenant(ti.ID).Stats().MaxInWindow)
	}
	res.Small = log.completions(schedule{start: started, stop: stopped, period: o.Period, settle: settle},
		func(t string) bool { return t != big.Name })
	sink, err := openSink(ctx, st)
	if err != nil {
		return nil, err
	}
	for _, s := range audit.Streams {
		n, _, err := countArchive(ctx, sink, big.Name+"/"+s.Name+"/")
		if err != nil {
			return nil, err
		}
		res.BigRecords += n
	}
	return res, nil
}

// WriteMarkdown renders the result.
func (r *TenantsResult) WriteMarkdown(w io.Writer) {
	s := r.Small
	fmt.Fprintf(w, "Many tenants: one daemon, %d tenants × 6 streams, schedule every %s; limits %d per %s per tenant and %d per %s per app (Graph's, time ×%d). Tenant 0 backfills 30 days from scratch meanwhile.\n\n",
		r.Tenants, r.Period, r.TenantLimit.Requests, r.TenantLimit.Per, r.AppLimit.Requests, r.AppLimit.Per, int(10*time.Second/r.TenantLimit.Per))
	fmt.Fprintln(w, "| measure | value |")
	fmt.Fprintln(w, "|---|--:|")
	fmt.Fprintf(w, "| ticks judged (each with a deadline of two periods before the daemon stopped) | %d |\n", s.Ticks)
	fmt.Fprintf(w, "| small tenants: time from a tick until all 6 streams archived up to it, median / p95 / max | %s / %s / %s s |\n",
		seconds(quantile(s.Completions, 0.5)), seconds(quantile(s.Completions, 0.95)), seconds(quantile(s.Completions, 1)))
	fmt.Fprintf(w, "| small tenants × ticks later than two periods (%s s) | %d of %d |\n", seconds(2*r.Period), s.Late, len(s.Completions))
	fmt.Fprintf(w, "| small tenants: runs failed / ticks skipped (previous run still going) | %d / %d |\n", s.Failed, s.Skipped)
	fmt.Fprintf(w, "| Graph requests while the daemon ran (all tenants) | %d |\n", r.AppRequests)
	fmt.Fprintf(w, "| app request rate vs app limit | %.1f/s of %.1f/s |\n", r.AppRate, float64(r.AppLimit.Requests)/r.AppLimit.Per.Seconds())
	fmt.Fprintf(w, "| 429s | %d |\n", r.AppThrottled)
	fmt.Fprintf(w, "| most requests of one tenant in one window | %d (limit %d) |\n", r.MaxTenantSeen, r.TenantLimit.Requests)
	fmt.Fprintf(w, "| backfilling tenant: requests, records archived | %d, %d |\n", r.BigRequests, r.BigRecords)
	fmt.Fprintf(w, "| daemon CPU s / wall s / peak RSS MB | %.1f / %.0f / %.0f |\n", r.Daemon.CPU().Seconds(), r.Daemon.Wall.Seconds(), float64(r.Daemon.MaxRSS)/mb)
	fmt.Fprintln(w)
}

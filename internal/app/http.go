package app

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/status"
)

// Handler serves the status page at /, /metrics, /healthz and /readyz.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", status.Handler(a.Status, func() any { return a.w() }))
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.registry, promhttp.HandlerOpts{Registry: a.registry}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.Handle("GET /readyz", &readiness{check: a.ready, generation: func() any { return a.w() }, now: time.Now, ttl: ReadyCacheTTL})
	return mux
}

// ReadyCacheTTL is how long /readyz answers with the result of its last
// storage check: probes from every kubelet, load balancer or curious
// client then cost the storage account one check per 10 s at most.
const ReadyCacheTTL = 10 * time.Second

// readyTimeout bounds one readiness check.
const readyTimeout = 5 * time.Second

// ready checks that the sink is reachable and the state readable.
func (a *App) ready(ctx context.Context) error {
	cur := a.w()
	if err := cur.sink.Check(ctx); err != nil {
		return fmt.Errorf("storage not reachable: %w", err)
	}
	if len(cur.jobs) > 0 {
		e := cur.jobs[0]
		if _, _, _, err := cur.state.Load(ctx, e.Tenant.Name, e.Stream.Name); err != nil {
			return fmt.Errorf("state not readable: %w", err)
		}
	}
	return nil
}

// readiness serves /readyz: 200 when the config is loaded, the sink is
// reachable and the state readable; 503 with the reason otherwise. The
// result is kept for ttl (a failure too) and until the configuration is
// reloaded, and one check runs at a time, however many probes wait for it.
type readiness struct {
	check      func(context.Context) error
	generation func() any
	now        func() time.Time
	ttl        time.Duration

	mu    sync.Mutex
	known bool
	gen   any
	at    time.Time
	err   error
}

func (r *readiness) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if err := r.current(req.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (r *readiness) current(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	gen := r.generation()
	if r.known && gen == r.gen && r.now().Sub(r.at) < r.ttl {
		return r.err
	}
	// Not tied to the probe that started it: a probe that gave up must
	// not leave "context canceled" as the answer for the next ones.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	r.err = r.check(ctx)
	r.known, r.gen, r.at = true, gen, r.now()
	return r.err
}

// Status collects the status report of every configured job.
func (a *App) Status(ctx context.Context) (status.Report, error) {
	w := a.w()
	return status.Collect(ctx, statusOptions(w.cfg, w.sink, w.layout, w.state, a.clock))
}

// statusOptions is what status reads for cfg: its jobs and the streams
// storage holds that it does not list.
func statusOptions(cfg *config.Config, sink archive.Sink, lay layout.Layout, st state.Store, now func() time.Time) status.Options {
	return status.Options{Sink: sink, Layout: lay, State: st, Jobs: StatusJobs(cfg), Unlisted: StatusUnlisted(cfg), Now: now}
}

// StatusUnlisted describes a stream found in storage that the
// configuration does not list, as its tenant's settings (or the defaults,
// for a tenant it does not name) would archive it.
func StatusUnlisted(cfg *config.Config) func(tenant, stream string) status.Job {
	return func(tenant, stream string) status.Job {
		s := cfg.Defaults
		if t, ok := cfg.Tenant(tenant); ok {
			s = t.Settings
		}
		return status.Job{Tenant: tenant, Stream: stream, Partition: s.Partition, RetentionWarning: s.RetentionWarning}
	}
}

// StatusJobs lists the configured jobs as the status report describes them,
// in configuration order.
func StatusJobs(cfg *config.Config) []status.Job {
	var jobs []status.Job
	for _, s := range Specs(cfg) {
		jobs = append(jobs, s.StatusJob())
	}
	return jobs
}

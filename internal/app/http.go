package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/config"
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
	mux.HandleFunc("GET /readyz", a.readyz)
	return mux
}

// readyz answers 200 when the config is loaded, the sink is reachable and
// the state is readable; 503 with the reason otherwise.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	cur := a.w()
	if err := cur.sink.Check(ctx); err != nil {
		http.Error(w, "storage not reachable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if len(cur.jobs) > 0 {
		e := cur.jobs[0]
		if _, _, _, err := cur.state.Load(ctx, e.Tenant.Name, e.Stream.Name); err != nil {
			http.Error(w, "state not readable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// Status collects the status report of every configured job.
func (a *App) Status(ctx context.Context) (status.Report, error) {
	w := a.w()
	return status.Collect(ctx, status.Options{
		Sink: w.sink, Layout: w.layout, State: w.state, Jobs: StatusJobs(w.cfg), Now: a.clock,
	})
}

// StatusJobs lists the configured jobs as the status report describes them,
// in configuration order.
func StatusJobs(cfg *config.Config) []status.Job {
	var jobs []status.Job
	for _, t := range cfg.Tenants {
		for _, st := range t.Settings.Streams {
			jobs = append(jobs, status.Job{
				Tenant: t.Name, Stream: st.Name, Partition: t.Settings.Partition,
				RetentionWarning: t.Settings.RetentionWarning, Schedule: t.Settings.Schedule,
				Rechecks:    len(t.Settings.Recheck),
				RateLimit:   capacity.Rate{Requests: t.Settings.RateLimit.Requests, Per: t.Settings.RateLimit.Per},
				BudgetGroup: budgetGroup(t),
			})
		}
	}
	return jobs
}

// Package app wires the configuration into running parts, so that cli stays a
// thin layer of flags, output and exit codes:
//
//   - App, for the commands that archive (run, once, backfill, demo): the
//     archive sink, the state store and the tenant leases (storage.go), one
//     Graph source per tenant under its directory's request budget and the
//     app's (app.go, budget.go), one job per tenant × stream, the scheduler,
//     configuration reloads and the HTTP endpoints (run.go, http.go);
//   - Reader, for the commands that only read (status, verify, export): the
//     archive's storage and nothing else, no Graph credential (reader.go);
//   - Spec, one configured tenant × stream, derived from the configuration
//     once: the job's settings and what status, verify and the Graph budget
//     know of it come from there (spec.go).
package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/graph"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/scratch"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Options are what New needs besides the configuration.
type Options struct {
	Config *config.Config
	Logger *zap.Logger
	// LogLevel, when set, is the logger's level; a config reload applies
	// log.level to it.
	LogLevel *zap.AtomicLevel
	// Registry receives the metrics; nil = a new private registry.
	Registry *prometheus.Registry
	// Clock is used for watermarks, settle and recheck; nil = time.Now.
	Clock func() time.Time
	// GraphTransport replaces the HTTP client for Graph and token requests
	// (tests and demo point it at the simulated Graph); nil = default.
	GraphTransport policy.Transporter
	// StorageClient replaces azblob's client options (tests lower retries).
	StorageClient *azcore.ClientOptions
	// Version is written into blob metadata.
	Version string
	// TempDir holds the process's private folder for spill and part files
	// ("" = the OS default).
	TempDir string
	// SortMemory bounds the records held in memory by all sorting jobs
	// together (0 = 64 MiB).
	SortMemory int
}

// App is a wired archiver. Its configuration can be replaced while it runs
// (Reload); everything that depends on the configuration lives in a wiring
// that is swapped as a whole.
type App struct {
	opts     Options
	log      *zap.Logger
	registry *prometheus.Registry
	metrics  *metrics.Metrics
	clock    func() time.Time
	cur      atomic.Pointer[wiring]
	// slots bounds the runs in flight.
	slots chan struct{}
	// sortBudget is the sort memory all jobs share, whichever wiring.
	sortBudget *job.SortBudget
	// leases are the tenant leases this process holds, shared by its runs.
	leases *tenantLeases
	// scratch is the private folder under Options.TempDir that the jobs'
	// temporary files (unnamed, holding records) are created in.
	scratch *scratch.Dir
}

// MaxConcurrentRuns bounds how many job runs one process executes at once:
// a guard against a runaway configuration, not a tuning knob. Runs spend
// most of their time waiting for their tenant's Graph budget (one request per
// 2 s), so a small bound starves the app budget: with 32, the bench's 100
// tenants × 6 streams took up to 80 s per tick instead of the 20 s the app
// budget allows (docs/benchmarks.md). Memory does not need the bound: sort
// buffers come from one budget shared by all runs (job.SortBudget).
const MaxConcurrentRuns = 1024

// wiring is everything built from one configuration.
type wiring struct {
	cfg    *config.Config
	sink   archive.Sink
	layout layout.Layout
	state  state.Store
	locker archive.Locker // tenant leases; nil: none
	jobs   []*Entry
	needs  *budgetNeeds
}

// Entry is one tenant × stream job, wired.
type Entry struct {
	Spec
	Job *job.Job
	// err is set when the tenant could not be wired (credential); every run
	// of the entry fails with it, while other tenants carry on.
	err error
	// budget names the tenant whose Graph budget (and so whose lease) the
	// entry uses: its own, or that of the first configured tenant of the
	// same directory and app.
	budget string
}

// New wires the configuration. It connects to storage (proving it is
// reachable) but not to Graph.
func New(ctx context.Context, o Options) (*App, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	a := &App{opts: o, log: o.Logger, registry: o.Registry, clock: o.Clock,
		slots: make(chan struct{}, MaxConcurrentRuns), sortBudget: job.NewSortBudget(o.SortMemory),
		leases: newTenantLeases(o.Logger.Named("lease"), o.Clock)}
	a.metrics = metrics.New(o.Registry, o.Clock)
	metrics.RegisterRuntime(o.Registry, o.Version)
	// A process that died (kill -9, OOM) left its folder: removed here.
	var removed []string
	var err error
	if a.scratch, removed, err = scratch.Open(o.TempDir); err != nil {
		return nil, fmt.Errorf("temporary folder: %w", err)
	}
	for _, dir := range removed {
		a.log.Info("removed the temporary folder of an archiver process that ended without cleaning up", zap.String("folder", dir))
	}
	w, err := a.wire(ctx, o.Config)
	if err != nil {
		a.scratch.Close()
		return nil, err
	}
	a.cur.Store(w)
	a.metrics.ConfigReload(true)
	return a, nil
}

// w is the current wiring.
func (a *App) w() *wiring { return a.cur.Load() }

// Config is the configuration in use.
func (a *App) Config() *config.Config { return a.w().cfg }

// wire builds the sink, state store, Graph sources and jobs of cfg.
func (a *App) wire(ctx context.Context, cfg *config.Config) (*wiring, error) {
	storage, err := OpenStorage(ctx, cfg, a.opts.StorageClient, a.log)
	if err != nil {
		return nil, err
	}
	w := &wiring{cfg: cfg, sink: storage.Sink, layout: storage.Layout, state: storage.State, locker: storage.Locker}
	appPacer := graph.NewPacer(cfg.Graph.AppRateLimit.Requests, cfg.Graph.AppRateLimit.Per)
	// Graph's budget is per app per directory: configured tenants that are
	// the same directory read by the same app share one pacer.
	type budget struct {
		pacer *graph.Pacer
		owner string // the first tenant with this budget
	}
	budgets := map[string]budget{}
	for _, t := range cfg.Tenants {
		k := budgetGroup(t)
		b, shared := budgets[k]
		if !shared {
			b = budget{graph.NewPacer(t.Settings.RateLimit.Requests, t.Settings.RateLimit.Per), t.Name}
			budgets[k] = b
		} else {
			a.log.Info("tenant is the same directory and app as another configured tenant: they share its Graph request budget",
				zap.String("tenant", t.Name), zap.String("shares_with", b.owner))
		}
		src, err := a.newSource(cfg, t, b.pacer, appPacer)
		for _, st := range t.Settings.Streams {
			e := &Entry{Spec: Spec{Tenant: t, Stream: st}, err: err, budget: b.owner}
			a.metrics.Job(t.Name, st.Name)
			if err == nil {
				e.Job = job.New(e.Settings(), job.Deps{
					Source: src, Sink: w.sink, Layout: w.layout, State: w.state, Clock: a.clock,
					Logger: a.log.Named("job"), Metrics: a.metrics, TempDir: a.scratch.Path(),
					SortBudget: a.sortBudget, Version: a.opts.Version,
				})
			}
			w.jobs = append(w.jobs, e)
		}
	}
	w.needs = newBudgetNeeds(w.jobs, a.log, a.metrics)
	return w, nil
}

// newSource builds a tenant's Graph source under its directory's pacer and
// the app's.
func (a *App) newSource(cfg *config.Config, t config.Tenant, tenantPacer, appPacer *graph.Pacer) (*graph.Source, error) {
	cred, err := credential.New(t.Auth, credential.Target{
		TenantID: t.TenantID, AuthorityHost: t.AuthorityHost,
		DisableInstanceDiscovery: t.DisableInstanceDiscovery, Transport: a.opts.GraphTransport,
	})
	if err != nil {
		return nil, fmt.Errorf("tenant %s: credential: %w", t.Name, err)
	}
	return graph.New(graph.Options{
		TenantID: t.TenantID, ClientID: t.Auth.ClientID, GraphEndpoint: t.GraphEndpoint, Credential: cred,
		Tenant:    tenantPacer,
		App:       appPacer,
		Transport: a.opts.GraphTransport, RequestTimeout: cfg.Graph.RequestTimeout, MaxPageBytes: cfg.Graph.MaxPageBytes,
		Logger:   a.log.Named("graph").With(zap.String("tenant", t.Name)),
		Observer: graphObserver{m: a.metrics, tenant: t.Name},
	})
}

type graphObserver struct {
	m      *metrics.Metrics
	tenant string
}

func (g graphObserver) Request(stream string, status int) { g.m.GraphRequest(g.tenant, stream, status) }
func (g graphObserver) Throttled(stream string, _ time.Duration) {
	g.m.GraphThrottled(g.tenant, stream)
}

// Registry is where the metrics are registered.
func (a *App) Registry() *prometheus.Registry { return a.registry }

// Sink is the archive's storage.
func (a *App) Sink() archive.Sink { return a.w().sink }

// ErrUsage marks an error in what a command asked for (no such job, an empty
// backfill range), as opposed to a failure while doing it: exit code 2.
var ErrUsage = errors.New("usage error")

// usageError is an error that matches ErrUsage and prints as itself.
type usageError struct{ error }

func (usageError) Is(target error) bool { return target == ErrUsage }

// Jobs lists the jobs matching tenant and stream ("" matches all).
func (a *App) Jobs(tenant, stream string) ([]*Entry, error) {
	var out []*Entry
	for _, e := range a.w().jobs {
		if (tenant == "" || e.Tenant.Name == tenant) && (stream == "" || e.Stream.Name == stream) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, usageError{fmt.Errorf("no job matches tenant %q and stream %q (configured: %s)", tenant, stream, a.jobNames())}
	}
	return out, nil
}

func (a *App) jobNames() string {
	jobs := a.w().jobs
	names := make([]string, len(jobs))
	for i, e := range jobs {
		names[i] = e.Name()
	}
	return strings.Join(names, ", ")
}

// run runs one entry once while holding its lease, waiting up to wait for
// a lease another process holds.
func (a *App) run(ctx context.Context, w *wiring, e *Entry, wait time.Duration) error {
	if e.err != nil {
		a.metrics.Run(e.Tenant.Name, e.Stream.Name, metrics.ResultFailed, 0)
		a.log.Error("run failed", zap.String("tenant", e.Tenant.Name), zap.String("stream", e.Stream.Name), zap.Error(e.err))
		return e.err
	}
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	return a.withLease(ctx, w, e, wait, func(ctx context.Context) error {
		res, err := e.Job.Run(ctx)
		w.needs.observe(e, res.RecordsPerDay)
		return err
	})
}

// commandLeaseWait is how long once and backfill wait for a job that another
// process (the daemon) is running.
const commandLeaseWait = 2 * time.Minute

// Once catches every selected job up to now − settle, all jobs concurrently
// (each tenant's request budget paces them), and reports the jobs that
// failed. Every job runs to completion whatever the others do.
func (a *App) Once(ctx context.Context, tenant, stream string) error {
	w := a.w()
	entries, err := a.Jobs(tenant, stream)
	if err != nil {
		return err
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for _, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.run(ctx, w, e, commandLeaseWait); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", e.Name(), err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return &JobsFailed{Failed: len(errs), Total: len(entries), Err: errors.Join(errs...)}
	}
	return nil
}

// JobsFailed reports that some jobs of a command failed (exit code 1).
type JobsFailed struct {
	Failed, Total int
	Err           error
}

func (e *JobsFailed) Error() string {
	return fmt.Sprintf("%d of %d jobs failed:\n%v", e.Failed, e.Total, e.Err)
}

func (e *JobsFailed) Unwrap() error { return e.Err }

// Backfill archives [from, to) for one job without moving its watermark;
// meter counts the partitions done.
func (a *App) Backfill(ctx context.Context, tenant, stream string, span audit.Window, meter progress.Meter) error {
	entries, err := a.Jobs(tenant, stream)
	if err != nil {
		return err
	}
	if len(entries) != 1 || tenant == "" || stream == "" {
		return usageError{errors.New("backfill needs exactly one --tenant and one --stream")}
	}
	e := entries[0]
	if e.err != nil {
		return e.err
	}
	return a.withLease(ctx, a.w(), e, commandLeaseWait, func(ctx context.Context) error {
		res, err := e.Job.Backfill(ctx, span, meter)
		if errors.Is(err, job.ErrBackfillRange) {
			return usageError{err}
		}
		fields := []zap.Field{zap.String("tenant", tenant), zap.String("stream", stream),
			zap.Int("records", res.Records), zap.Int("parts", res.Parts), zap.Int("duplicates", res.Duplicates)}
		if err != nil {
			a.log.Error("backfill failed", append(fields, zap.Error(err))...)
		} else {
			a.log.Info("backfill finished", fields...)
		}
		return err
	})
}

// Close releases what New opened: the private temporary folder (the sinks
// hold no resources beyond idle HTTP connections). Closing again does
// nothing.
func (a *App) Close() {
	if err := a.scratch.Close(); err != nil {
		a.log.Warn("could not remove the private temporary folder", zap.String("folder", a.scratch.Path()), zap.Error(err))
	}
}

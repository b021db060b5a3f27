package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/scheduler"
)

// StopTimeout bounds how long a stopping daemon waits for runs in flight;
// whatever has not finished by then is abandoned uncommitted.
const StopTimeout = 30 * time.Second

// RunOptions let the daemon reload its configuration.
type RunOptions struct {
	// Reload receives a value for every reload request (SIGHUP).
	Reload <-chan struct{}
	// Load reads the configuration again. On error the daemon keeps the
	// configuration it runs with.
	Load func() (*config.Config, error)
}

// Run is the daemon: it serves the HTTP endpoints, runs every job at start
// and then on its schedule, reloads the configuration on request, and
// returns once ctx is cancelled and the runs in flight have finished or been
// abandoned uncommitted.
func (a *App) Run(ctx context.Context, ro RunOptions) error {
	listen := a.w().cfg.HTTP.Listen
	srv, err := a.serveHTTP(listen)
	if err != nil {
		return err
	}
	defer func() { shutdownHTTP(srv) }()
	a.leases.SetLinger(true)
	defer a.leases.SetLinger(false)
	sched, err := a.startScheduler(a.w())
	if err != nil {
		return err
	}
	a.log.Info("started", zap.Int("jobs", len(a.w().jobs)), zap.String("http", listen))
	for {
		select {
		case <-ctx.Done():
			a.log.Info("stopping: finishing or abandoning runs in flight", zap.Duration("timeout", StopTimeout))
			sched.Stop(StopTimeout)
			a.log.Info("stopped")
			return nil
		case <-ro.Reload:
		}
		w, err := a.reload(ctx, ro.Load)
		if err != nil {
			a.metrics.ConfigReload(false)
			a.log.Error("configuration reload failed; still running with the previous configuration", zap.Error(err))
			continue
		}
		sched.Stop(StopTimeout)
		a.leases.ReleaseIdle()
		a.cur.Store(w)
		if w.cfg.HTTP.Listen != listen {
			shutdownHTTP(srv)
			listen = w.cfg.HTTP.Listen
			if srv, err = a.serveHTTP(listen); err != nil {
				a.log.Error("http listener on the new address failed", zap.Error(err))
			}
		}
		if sched, err = a.startScheduler(w); err != nil {
			return err
		}
		a.metrics.ConfigReload(true)
		a.log.Info("configuration reloaded", zap.Int("jobs", len(w.jobs)))
	}
}

// reload loads and wires the configuration again.
func (a *App) reload(ctx context.Context, load func() (*config.Config, error)) (*wiring, error) {
	if load == nil {
		return nil, errors.New("no way to load the configuration")
	}
	cfg, err := load()
	if err != nil {
		return nil, err
	}
	w, err := a.wire(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if a.opts.LogLevel != nil {
		if err := a.opts.LogLevel.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
			return nil, fmt.Errorf("log.level: %w", err)
		}
	}
	return w, nil
}

// startScheduler schedules every job of w. A tick whose job is running in
// another replica is skipped: the lease decides who runs it.
func (a *App) startScheduler(w *wiring) (*scheduler.Scheduler, error) {
	sched := scheduler.New(a.log.Named("scheduler"))
	for _, e := range w.jobs {
		err := sched.Add(e.Name(), e.Tenant.Settings.Schedule, func(ctx context.Context) {
			if err := a.run(ctx, w, e, 0); errors.Is(err, ErrJobBusy) {
				a.log.Debug("job runs in another replica; skipping this tick",
					zap.String("tenant", e.Tenant.Name), zap.String("stream", e.Stream.Name))
				perDay, err := e.Job.Observe(ctx)
				w.needs.observe(e, perDay)
				if err != nil {
					a.log.Debug("could not read the job's state", zap.Error(err))
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	sched.Start()
	return sched, nil
}

// serveHTTP starts the listener (nil server when disabled).
func (a *App) serveHTTP(listen string) (*http.Server, error) {
	if listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", listen, err)
	}
	srv := newHTTPServer(a.Handler())
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", zap.Error(err))
		}
	}()
	return srv, nil
}

// Bounds of the HTTP listener. Its endpoints read no request body and
// answer within a probe's patience, so a client that sends slowly, reads
// slowly or idles (slowloris) or sends huge headers cannot hold a
// connection or memory for long. WriteTimeout leaves room for the status
// page, which may spend up to 30 s collecting.
const (
	httpReadHeaderTimeout = 10 * time.Second
	httpReadTimeout       = 30 * time.Second
	httpWriteTimeout      = 60 * time.Second
	httpIdleTimeout       = 2 * time.Minute
	httpMaxHeaderBytes    = 64 << 10
)

// newHTTPServer is the listener's server for h, with the bounds above.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: httpReadHeaderTimeout,
		ReadTimeout:       httpReadTimeout,
		WriteTimeout:      httpWriteTimeout,
		IdleTimeout:       httpIdleTimeout,
		MaxHeaderBytes:    httpMaxHeaderBytes,
	}
}

func shutdownHTTP(srv *http.Server) {
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

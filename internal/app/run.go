package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/scheduler"
)

// StopTimeout bounds how long a stopping daemon waits for runs in flight;
// whatever has not finished by then is abandoned uncommitted.
const StopTimeout = 30 * time.Second

// Run is the daemon: it serves the HTTP endpoints, runs every job at start
// and then on its schedule, and returns once ctx is cancelled and the runs
// in flight have finished or been abandoned uncommitted.
func (a *App) Run(ctx context.Context) error {
	srv, err := a.serveHTTP()
	if err != nil {
		return err
	}
	sched := scheduler.New(a.log.Named("scheduler"))
	for _, e := range a.jobs {
		if err := sched.Add(e.Name(), e.Tenant.Settings.Schedule, func(ctx context.Context) { _ = a.run(ctx, e) }); err != nil {
			return err
		}
	}
	a.log.Info("started", zap.Int("jobs", len(a.jobs)), zap.String("http", a.cfg.HTTP.Listen))
	sched.Start()
	<-ctx.Done()
	a.log.Info("stopping: finishing or abandoning runs in flight", zap.Duration("timeout", StopTimeout))
	sched.Stop(StopTimeout)
	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}
	a.log.Info("stopped")
	return nil
}

// serveHTTP starts the listener (nil server when disabled).
func (a *App) serveHTTP() (*http.Server, error) {
	if a.cfg.HTTP.Listen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen %s: %w", a.cfg.HTTP.Listen, err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("http server", zap.Error(err))
		}
	}()
	return srv, nil
}

package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// Lease timing (DESIGN.md "Precise rules"): a replica holds a job's lease
// for 60 s, renews it every 20 s, and releases it when the run ends or the
// process shuts down; a dead replica's lease expires within a minute.
const (
	LeaseTTL   = 60 * time.Second
	LeaseRenew = 20 * time.Second
	// leaseRetry is how often once and backfill try again for a lease that
	// another process holds.
	leaseRetry = 5 * time.Second
)

// ErrJobBusy: another process (a replica of the daemon, or a once or
// backfill) holds the job's lease.
var ErrJobBusy = errors.New("another entra-archiver process is running this job")

// withLease runs fn while this process holds the job's lease on
// {prefix}_locks/{tenant}/{stream}, so two processes never archive the same
// job at once. It waits up to wait for a lease held elsewhere (0: not at
// all). If a renewal fails, fn's context is cancelled: the run stops and
// commits nothing more.
func (a *App) withLease(ctx context.Context, w *wiring, e *Entry, wait time.Duration, fn func(context.Context) error) error {
	locker, ok := w.sink.(archive.Locker)
	if !ok {
		return fn(ctx)
	}
	name := w.layout.LockName(e.Tenant.Name, e.Stream.Name)
	deadline := a.clock().Add(wait)
	var lease archive.Lease
	for {
		var err error
		lease, err = locker.Acquire(ctx, name, LeaseTTL)
		if err == nil {
			break
		}
		if !errors.Is(err, archive.ErrLeased) {
			return fmt.Errorf("lease %s: %w", name, err)
		}
		if !a.clock().Before(deadline) {
			return fmt.Errorf("%w (lease %s is held; it expires within %s of that process stopping)", ErrJobBusy, name, LeaseTTL)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(leaseRetry):
		}
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		t := time.NewTicker(LeaseRenew)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				if err := lease.Renew(runCtx); err != nil {
					if runCtx.Err() == nil {
						a.log.Error("lost the job's lease; abandoning the run uncommitted",
							zap.String("tenant", e.Tenant.Name), zap.String("stream", e.Stream.Name), zap.Error(err))
						cancel(fmt.Errorf("lost lease %s: %w", name, err))
					}
					return
				}
			}
		}
	}()
	err := fn(runCtx)
	cancel(nil)
	<-renewDone
	releaseCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	if rerr := lease.Release(releaseCtx); rerr != nil {
		a.log.Warn("could not release the job's lease; it expires on its own", zap.String("lease", name), zap.Error(rerr))
	}
	return err
}

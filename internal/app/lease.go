package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// Lease timing (DESIGN.md "Precise rules"): a replica holds a tenant's lease
// for 60 s, renews it every 20 s, and releases it when its last run of the
// tenant ends or the process shuts down; a dead replica's lease expires
// within a minute.
const (
	LeaseTTL   = 60 * time.Second
	LeaseRenew = 20 * time.Second
	// leaseRetry is how often once and backfill try again for a lease that
	// another process holds.
	leaseRetry = 5 * time.Second
	// leaseReleaseTimeout bounds giving a lease up; one not released expires.
	leaseReleaseTimeout = 10 * time.Second
)

// ErrJobBusy: another process (a replica of the daemon, or a once or
// backfill) holds the lease of the job's tenant.
var ErrJobBusy = errors.New("another entra-archiver process is running this tenant's jobs")

// errLeaseReleased ends a lease's renewals once its last run has left.
var errLeaseReleased = errors.New("lease released")

// withLease runs fn while this process holds the lease of the job's tenant
// on {prefix}_locks/{tenant} (in the state container, if there is one):
// Graph's budget is per tenant and only one process can pace it, so all of
// a tenant's jobs run in the process holding its lease, and the runs of one
// process share that lease (tenantLeases).
// It waits up to wait for a lease held elsewhere (0: not at all). If a
// renewal fails, every run of the tenant is cancelled: each stops and
// commits nothing more.
func (a *App) withLease(ctx context.Context, w *wiring, e *Entry, wait time.Duration, fn func(context.Context) error) error {
	if w.locker == nil {
		return fn(ctx)
	}
	h, err := a.leases.join(ctx, w.locker, w.layout.LockName(e.budget), e.Tenant.Name, wait)
	if err != nil {
		return err
	}
	defer a.leases.leave(h, e.Tenant.Settings.RateLimit.Per)
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(h.ctx, func() { cancel(context.Cause(h.ctx)) })
	defer stop()
	return fn(runCtx)
}

// tenantLeases shares one lease per lock among the runs of this process.
// The first run of a tenant acquires the lease, runs that start while it
// is held join it, it is renewed while any of them is in flight, and it is
// given up when the last one ends. In the daemon (SetLinger) an idle lease
// is kept for one window of the tenant's rate limit first: a replica taking
// the tenant over at once could send a request into the window this one
// has just filled and be answered 429. Runs that join during that time
// reuse the lease, and a daemon whose ticks keep a tenant busy keeps its
// lease, while once and backfill still get it between ticks.
type tenantLeases struct {
	log   *zap.Logger
	now   func() time.Time
	renew time.Duration // LeaseRenew; tests shorten it
	retry time.Duration // leaseRetry; tests shorten it

	mu     sync.Mutex
	linger bool
	locks  map[string]*tenantLock
}

func newTenantLeases(log *zap.Logger, now func() time.Time) *tenantLeases {
	return &tenantLeases{log: log, now: now, renew: LeaseRenew, retry: leaseRetry, locks: map[string]*tenantLock{}}
}

// tenantLock is what this process knows of one lock.
type tenantLock struct {
	name string
	// io serialises acquiring and releasing the lease, so that a run that
	// arrives while it is being released waits and acquires it anew rather
	// than meeting its own process's lease as someone else's.
	io sync.Mutex
	// held is the lease while this process holds it (guarded by
	// tenantLeases.mu).
	held *heldLease
}

// heldLease is one hold of a lock, shared by the runs that joined it.
type heldLease struct {
	lock   *tenantLock
	tenant string // for logs
	locker archive.Locker
	lease  archive.Lease
	// ctx is cancelled when the hold ends: with the renewal's error when the
	// lease was lost (the runs then stop), with errLeaseReleased after the
	// last run left.
	ctx    context.Context
	cancel context.CancelCauseFunc
	// renewing is closed when the renewals have stopped.
	renewing chan struct{}

	// Guarded by tenantLeases.mu:
	runs int
	idle *time.Timer // while lingering with no run
}

// SetLinger makes idle leases linger for a rate-limit window (the daemon);
// turning it off releases the idle ones at once (shutdown).
func (ls *tenantLeases) SetLinger(on bool) {
	ls.mu.Lock()
	ls.linger = on
	ls.mu.Unlock()
	if !on {
		ls.ReleaseIdle()
	}
}

// ReleaseIdle gives up every lease no run is using (shutdown, and a reload,
// whose new storage client could not join them).
func (ls *tenantLeases) ReleaseIdle() {
	ls.mu.Lock()
	var idle []*heldLease
	for _, l := range ls.locks {
		if h := l.held; h != nil && h.runs == 0 {
			idle = append(idle, h)
		}
	}
	ls.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range idle {
		wg.Go(func() { ls.releaseIfIdle(h) })
	}
	wg.Wait()
}

// join returns this process's hold on the lock name for one run, acquiring
// the lease if no run of this process holds it. A lease held elsewhere is
// tried again every retry until wait has passed; then the error wraps
// ErrJobBusy.
func (ls *tenantLeases) join(ctx context.Context, locker archive.Locker, name, tenant string, wait time.Duration) (*heldLease, error) {
	deadline := ls.now().Add(wait)
	for {
		h, err := ls.tryJoin(ctx, locker, name, tenant)
		if err == nil {
			return h, nil
		}
		if !errors.Is(err, archive.ErrLeased) {
			return nil, fmt.Errorf("lease %s: %w", name, err)
		}
		if !ls.now().Before(deadline) {
			return nil, fmt.Errorf("%w (%w; a lease expires within %s of its holder stopping)", ErrJobBusy, err, LeaseTTL)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(ls.retry):
		}
	}
}

func (ls *tenantLeases) tryJoin(ctx context.Context, locker archive.Locker, name, tenant string) (*heldLease, error) {
	ls.mu.Lock()
	l := ls.locks[name]
	if l == nil {
		l = &tenantLock{name: name}
		ls.locks[name] = l
	}
	ls.mu.Unlock()

	l.io.Lock()
	defer l.io.Unlock()
	ls.mu.Lock()
	if h := l.held; h != nil {
		defer ls.mu.Unlock()
		switch {
		case h.locker != locker:
			return nil, fmt.Errorf("lock %s: %w: runs of the previous configuration still hold it", name, archive.ErrLeased)
		case h.ctx.Err() != nil:
			return nil, fmt.Errorf("lock %s: %w: this process lost it and its runs are stopping", name, archive.ErrLeased)
		}
		h.runs++
		if h.idle != nil {
			h.idle.Stop() // if it fired already, releaseIfIdle sees the run
			h.idle = nil
		}
		return h, nil
	}
	ls.mu.Unlock()

	lease, err := locker.Acquire(ctx, name, LeaseTTL)
	if err != nil {
		return nil, err
	}
	h := &heldLease{lock: l, tenant: tenant, locker: locker, lease: lease, runs: 1, renewing: make(chan struct{})}
	h.ctx, h.cancel = context.WithCancelCause(context.Background())
	go ls.renewals(h)
	ls.mu.Lock()
	l.held = h
	ls.mu.Unlock()
	return h, nil
}

// leave ends one run's use of h. The last run gives the lease up, at once
// or, lingering, one rate-limit window later.
func (ls *tenantLeases) leave(h *heldLease, window time.Duration) {
	h.lock.io.Lock()
	defer h.lock.io.Unlock()
	ls.mu.Lock()
	h.runs--
	if h.runs > 0 {
		ls.mu.Unlock()
		return
	}
	if ls.linger && window > 0 && h.ctx.Err() == nil {
		h.idle = time.AfterFunc(window, func() { ls.releaseIfIdle(h) })
		ls.mu.Unlock()
		return
	}
	h.lock.held = nil
	ls.mu.Unlock()
	ls.release(h)
}

// releaseIfIdle gives h up unless a run has joined it again.
func (ls *tenantLeases) releaseIfIdle(h *heldLease) {
	h.lock.io.Lock()
	defer h.lock.io.Unlock()
	ls.mu.Lock()
	if h.runs > 0 || h.lock.held != h {
		ls.mu.Unlock()
		return
	}
	if h.idle != nil {
		h.idle.Stop()
		h.idle = nil
	}
	h.lock.held = nil
	ls.mu.Unlock()
	ls.release(h)
}

// release stops h's renewals and releases its lease (called holding the
// lock's io, after it was unlinked).
func (ls *tenantLeases) release(h *heldLease) {
	h.cancel(errLeaseReleased)
	<-h.renewing
	ctx, cancel := context.WithTimeout(context.Background(), leaseReleaseTimeout)
	defer cancel()
	if err := h.lease.Release(ctx); err != nil {
		ls.log.Warn("could not release the tenant's lease; it expires on its own",
			zap.String("tenant", h.tenant), zap.String("lease", h.lock.name), zap.Error(err))
	}
}

// renewals renews h every renew until its hold ends. A renewal that fails
// ends the hold with the error, which cancels every run of the tenant: the
// lease may be someone else's by now. Each renewal is bounded by the
// renewal period, so a hung call cannot outlast the lease it renews.
func (ls *tenantLeases) renewals(h *heldLease) {
	defer close(h.renewing)
	t := time.NewTicker(ls.renew)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(h.ctx, ls.renew)
		err := h.lease.Renew(ctx)
		cancel()
		if err != nil {
			if h.ctx.Err() == nil {
				ls.log.Error("lost the tenant's lease; abandoning its runs uncommitted",
					zap.String("tenant", h.tenant), zap.String("lease", h.lock.name), zap.Error(err))
				h.cancel(fmt.Errorf("lost lease %s: %w", h.lock.name, err))
			}
			return
		}
	}
}

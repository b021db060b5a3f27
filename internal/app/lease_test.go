package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// fakeLocks is a Locker in memory: one holder per name, counted calls, and
// renewals that fail once failRenew is set.
type fakeLocks struct {
	mu        sync.Mutex
	holder    map[string]*fakeLease
	acquired  map[string]int
	released  map[string]int
	failRenew error
}

func newFakeLocks() *fakeLocks {
	return &fakeLocks{holder: map[string]*fakeLease{}, acquired: map[string]int{}, released: map[string]int{}}
}

type fakeLease struct {
	locks *fakeLocks
	name  string
}

func (f *fakeLocks) Acquire(_ context.Context, name string, _ time.Duration) (archive.Lease, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.holder[name] != nil {
		return nil, fmt.Errorf("lock %s: %w", name, archive.ErrLeased)
	}
	l := &fakeLease{locks: f, name: name}
	f.holder[name] = l
	f.acquired[name]++
	return l, nil
}

func (l *fakeLease) Renew(context.Context) error {
	l.locks.mu.Lock()
	defer l.locks.mu.Unlock()
	if l.locks.holder[l.name] != l {
		return archive.ErrLeased
	}
	return l.locks.failRenew
}

func (l *fakeLease) Release(context.Context) error {
	l.locks.mu.Lock()
	defer l.locks.mu.Unlock()
	if l.locks.holder[l.name] == l {
		delete(l.locks.holder, l.name)
		l.locks.released[l.name]++
	}
	return nil
}

// counts returns how often name was acquired and released.
func (f *fakeLocks) counts(name string) (acquired, released int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acquired[name], f.released[name]
}

func (f *fakeLocks) held(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.holder[name] != nil
}

type leaseFixture struct {
	app   *App
	w     *wiring
	locks *fakeLocks
}

func newLeaseFixture(t *testing.T) *leaseFixture {
	t.Helper()
	locks := newFakeLocks()
	a := &App{leases: newTenantLeases(zap.NewNop(), time.Now)}
	a.leases.renew = 20 * time.Millisecond
	a.leases.retry = 10 * time.Millisecond
	t.Cleanup(func() { a.leases.SetLinger(false) })
	return &leaseFixture{app: a, w: &wiring{locker: locks, layout: layout.Layout{}}, locks: locks}
}

func entry(tenant, stream string, window time.Duration) *Entry {
	t := config.Tenant{Name: tenant}
	t.Settings.RateLimit = config.RateLimit{Requests: 5, Per: window}
	return &Entry{Spec: Spec{Tenant: t}, budget: tenant}
}

// start runs e under its lease in the background until release is closed
// (or the run is cancelled) and reports on entered once the run holds the
// lease; done receives withLease's result.
func (f *leaseFixture) start(e *Entry, wait time.Duration, release <-chan struct{}) (entered <-chan struct{}, done <-chan error) {
	in, out := make(chan struct{}), make(chan error, 1)
	go func() {
		out <- f.app.withLease(context.Background(), f.w, e, wait, func(ctx context.Context) error {
			close(in)
			select {
			case <-release:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	return in, out
}

func waitEntered(t *testing.T, entered <-chan struct{}, done <-chan error) {
	t.Helper()
	select {
	case <-entered:
	case err := <-done:
		t.Fatalf("run ended before it started: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not start")
	}
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("run did not end")
		return nil
	}
}

// TestRunsOfATenantShareOneLease: two runs of one tenant in flight at once
// hold one lease on _locks/{tenant}, renewed meanwhile and released once,
// when the second ends; another tenant has a lease of its own.
func TestRunsOfATenantShareOneLease(t *testing.T) {
	f := newLeaseFixture(t)
	release := make(chan struct{})
	in1, done1 := f.start(entry("contoso", "interactive-signins", 0), 0, release)
	waitEntered(t, in1, done1)
	in2, done2 := f.start(entry("contoso", "directory-audits", 0), 0, release)
	waitEntered(t, in2, done2)
	in3, done3 := f.start(entry("fabrikam", "directory-audits", 0), 0, release)
	waitEntered(t, in3, done3)
	time.Sleep(5 * f.app.leases.renew) // renewals keep the runs going
	if a, r := f.locks.counts("_locks/contoso"); a != 1 || r != 0 {
		t.Fatalf("_locks/contoso acquired %d, released %d times while both runs are in flight; want 1, 0", a, r)
	}
	if a, _ := f.locks.counts("_locks/fabrikam"); a != 1 {
		t.Fatalf("_locks/fabrikam acquired %d times, want 1", a)
	}
	close(release)
	for _, done := range []<-chan error{done1, done2, done3} {
		if err := result(t, done); err != nil {
			t.Fatal(err)
		}
	}
	if a, r := f.locks.counts("_locks/contoso"); a != 1 || r != 1 {
		t.Fatalf("_locks/contoso acquired %d, released %d times; want 1, 1", a, r)
	}
}

// TestLostLeaseCancelsEveryRunOfTheTenant: when a renewal fails, both runs
// of the tenant stop with the cause; the lease is given up, and the next
// run acquires it anew.
func TestLostLeaseCancelsEveryRunOfTheTenant(t *testing.T) {
	f := newLeaseFixture(t)
	never := make(chan struct{})
	in1, done1 := f.start(entry("contoso", "interactive-signins", 0), 0, never)
	waitEntered(t, in1, done1)
	in2, done2 := f.start(entry("contoso", "directory-audits", 0), 0, never)
	waitEntered(t, in2, done2)
	f.locks.mu.Lock()
	f.locks.failRenew = errors.New("storage unreachable")
	f.locks.mu.Unlock()
	for _, done := range []<-chan error{done1, done2} {
		if err := result(t, done); err == nil || !strings.Contains(err.Error(), "lost lease _locks/contoso: storage unreachable") {
			t.Fatalf("run ended with %v, want the lost lease", err)
		}
	}
	if f.locks.held("_locks/contoso") {
		t.Fatal("the lost lease was not given up")
	}
	f.locks.mu.Lock()
	f.locks.failRenew = nil
	f.locks.mu.Unlock()
	release := make(chan struct{})
	close(release)
	if err := result(t, second(f.start(entry("contoso", "directory-audits", 0), 0, release))); err != nil {
		t.Fatalf("run after the lost lease: %v", err)
	}
	if a, _ := f.locks.counts("_locks/contoso"); a != 2 {
		t.Fatalf("_locks/contoso acquired %d times, want 2", a)
	}
}

func second[A, B any](_ A, b B) B { return b }

// TestTenantHeldElsewhere: a tick (wait 0) finds a tenant leased by another
// process busy; once and backfill (wait > 0) wait until it is released.
func TestTenantHeldElsewhere(t *testing.T) {
	f := newLeaseFixture(t)
	other, err := f.locks.Acquire(t.Context(), "_locks/contoso", LeaseTTL)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	close(release)
	err = result(t, second(f.start(entry("contoso", "directory-audits", 0), 0, release)))
	if !errors.Is(err, ErrJobBusy) || !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("run while another process holds the tenant = %v, want ErrJobBusy", err)
	}
	in, done := f.start(entry("contoso", "directory-audits", 0), time.Minute, release)
	time.Sleep(5 * f.app.leases.retry)
	if err := other.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	waitEntered(t, in, done)
	if err := result(t, done); err != nil {
		t.Fatalf("run waiting for the tenant: %v", err)
	}
}

// TestDaemonLeaseLingers: in the daemon, a tenant's lease outlives its last
// run by one window of the tenant's rate limit, so a run in that window
// reuses it and no other replica starts sending into a window this one
// filled; then it is released, and at shutdown at once.
func TestDaemonLeaseLingers(t *testing.T) {
	f := newLeaseFixture(t)
	f.app.leases.SetLinger(true)
	const window = 300 * time.Millisecond
	release := make(chan struct{})
	close(release)
	run := func() {
		t.Helper()
		if err := result(t, second(f.start(entry("contoso", "directory-audits", window), 0, release))); err != nil {
			t.Fatal(err)
		}
	}
	run()
	run()
	if a, r := f.locks.counts("_locks/contoso"); a != 1 || r != 0 {
		t.Fatalf("within the window: acquired %d, released %d; want 1, 0", a, r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for f.locks.held("_locks/contoso") {
		if time.Now().After(deadline) {
			t.Fatal("the idle lease was never released")
		}
		time.Sleep(10 * time.Millisecond)
	}
	run()
	f.app.leases.SetLinger(false) // shutdown
	if f.locks.held("_locks/contoso") {
		t.Fatal("shutdown kept the idle lease")
	}
	if a, r := f.locks.counts("_locks/contoso"); a != 2 || r != 2 {
		t.Fatalf("acquired %d, released %d; want 2, 2", a, r)
	}
}

// TestSameDirectorySharesOneLease: two configured tenants that are one
// directory read by one app share one Graph budget, so their runs take one
// lease, the first one's; another directory has its own.
func TestSameDirectorySharesOneLease(t *testing.T) {
	dir := t.TempDir()
	const shared, other = "72f988bf-86f1-41af-91ab-2d7cd011db47", "0b6c5b4e-0000-4000-8000-000000000001"
	const client = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
	yaml := fmt.Sprintf(`http: {listen: ""}
storage: {type: local, local: {path: %q}}
tenants:
  - {name: contoso-signins, tenant_id: %s, auth: {client_id: %s, client_secret_env: SECRET}, streams: [interactive-signins]}
  - {name: contoso-audits, tenant_id: %s, auth: {client_id: %s, client_secret_env: SECRET}, streams: [directory-audits]}
  - {name: fabrikam, tenant_id: %s, auth: {client_id: %s, client_secret_env: SECRET}, streams: [directory-audits]}
`, dir, shared, client, shared, client, other, client)
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, []string{"SECRET=s3cret~0123456789"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	w := a.w()
	locker := w.locker
	for tenant, lock := range map[string]string{
		"contoso-signins": "_locks/contoso-signins", "contoso-audits": "_locks/contoso-signins", "fabrikam": "_locks/fabrikam",
	} {
		entries, err := a.Jobs(tenant, "")
		if err != nil {
			t.Fatal(err)
		}
		err = a.withLease(t.Context(), w, entries[0], 0, func(context.Context) error {
			if _, err := locker.Acquire(t.Context(), lock, LeaseTTL); !errors.Is(err, archive.ErrLeased) {
				return fmt.Errorf("%s while a run of %s holds its lease: %w, want ErrLeased", lock, tenant, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

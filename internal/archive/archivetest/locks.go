package archivetest

import (
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// lockTTL is the lease every replica takes (DESIGN.md "Leases").
const lockTTL = 60 * time.Second

func testLock(t *testing.T, s archive.Sink) {
	locker, ok := s.(archive.Locker)
	if !ok {
		t.Fatalf("%T does not implement archive.Locker", s)
	}
	ctx := t.Context()
	const name = "_locks/contoso"
	first, err := locker.Acquire(ctx, name, lockTTL)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	_, err = locker.Acquire(ctx, name, lockTTL)
	wantErr(t, "second Acquire", err, archive.ErrLeased)
	if err := first.Renew(ctx); err != nil {
		t.Fatalf("Renew of a held lease: %v", err)
	}
	other, err := locker.Acquire(ctx, "_locks/fabrikam", lockTTL)
	if err != nil {
		t.Fatalf("Acquire of another lock: %v", err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := first.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	second, err := locker.Acquire(ctx, name, lockTTL)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	// The released lease has been taken over: renewing it must fail, and
	// releasing it must not free the new holder's lock.
	wantErr(t, "Renew of a lease taken over", first.Renew(ctx), archive.ErrLeased)
	if err := first.Release(ctx); err != nil {
		t.Fatalf("Release of a lease taken over: %v", err)
	}
	_, err = locker.Acquire(ctx, name, lockTTL)
	wantErr(t, "Acquire while the new holder has it", err, archive.ErrLeased)
	for _, l := range []archive.Lease{second, other} {
		if err := l.Release(ctx); err != nil {
			t.Fatalf("Release: %v", err)
		}
	}
	testLockBelowLock(t, locker)
}

// testLockBelowLock: a lock and a lock named below it are independent, in
// either order of creation, so a tenant's lock "_locks/{tenant}" works
// beside the per-job locks "_locks/{tenant}/{stream}" that versions before
// tenant leases left (and an old replica may still hold), and neither
// blocks the other: on the local sink one is a file beside the folder of
// the other.
func testLockBelowLock(t *testing.T, locker archive.Locker) {
	ctx := t.Context()
	for _, names := range [][2]string{
		{"_locks/contoso/interactive-signins", "_locks/contoso"}, // an old version's lock first
		{"_locks/fabrikam", "_locks/fabrikam/interactive-signins"},
	} {
		var held []archive.Lease
		for _, name := range names {
			l, err := locker.Acquire(ctx, name, lockTTL)
			if err != nil {
				t.Fatalf("Acquire %s while %v is held: %v", name, names, err)
			}
			held = append(held, l)
		}
		for i, name := range names {
			_, err := locker.Acquire(ctx, name, lockTTL)
			wantErr(t, "second Acquire of "+name, err, archive.ErrLeased)
			if err := held[i].Renew(ctx); err != nil {
				t.Fatalf("Renew %s: %v", name, err)
			}
		}
		for _, l := range held {
			if err := l.Release(ctx); err != nil {
				t.Fatalf("Release: %v", err)
			}
		}
	}
}

func testCheck(t *testing.T, s archive.Sink) {
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

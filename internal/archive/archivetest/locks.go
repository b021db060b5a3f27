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
	const name = "_locks/contoso/interactive-signins"
	first, err := locker.Acquire(ctx, name, lockTTL)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	_, err = locker.Acquire(ctx, name, lockTTL)
	wantErr(t, "second Acquire", err, archive.ErrLeased)
	if err := first.Renew(ctx); err != nil {
		t.Fatalf("Renew of a held lease: %v", err)
	}
	other, err := locker.Acquire(ctx, "_locks/contoso/directory-audits", lockTTL)
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
}

func testCheck(t *testing.T, s archive.Sink) {
	if err := s.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

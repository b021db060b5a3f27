package archive

import (
	"context"
	"time"
)

// Locker hands out time-limited, exclusive leases on named locks, so that
// several replicas can share jobs safely: a job runs only while its replica
// holds the lease on the job's lock (layout.LockName), and a dead replica's
// lease expires on its own. Lock names follow the same rules as blob names.
type Locker interface {
	// Acquire takes the lock for ttl. It returns an error wrapping ErrLeased
	// at once (without waiting) when another owner holds an unexpired lease.
	// Implementations may restrict ttl (Azure accepts 15 s to 60 s).
	Acquire(ctx context.Context, name string, ttl time.Duration) (Lease, error)
}

// Lease is one owner's hold on a lock.
type Lease interface {
	// Renew extends the lease by its ttl from now. A lease that expired but
	// was not taken by anyone else is renewed; one that another owner has
	// taken since returns an error wrapping ErrLeased, and the caller must
	// stop the work the lease protected.
	Renew(ctx context.Context) error
	// Release gives the lock up at once. Releasing a lease that is no longer
	// held (released before, or expired and taken over) returns nil.
	Release(ctx context.Context) error
}

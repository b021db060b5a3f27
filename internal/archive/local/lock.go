package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// leaseRecord is the content of a lease file ".<name>.lease": who holds the
// lock and until when. An empty or unreadable file is a free lock (a holder
// that died while writing it held nothing worth keeping), and so is one
// larger than maxLeaseFile, which the archiver never writes.
type leaseRecord struct {
	Owner string `json:"owner"`
	Host  string `json:"host,omitempty"`
	PID   int    `json:"pid,omitempty"`
	// PIDNS names the holder's PID namespace (Linux), so that a PID is only
	// ever looked up where it means the same process.
	PIDNS   string    `json:"pidns,omitempty"`
	Expires time.Time `json:"expires"`
}

// maxLeaseFile bounds how much of a lease file is read: a record is about
// 200 bytes, and a file someone filled with gigabytes must not fill memory.
const maxLeaseFile = 64 << 10

// pidNamespace is this process's PID namespace ("" where unknown).
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}

// holderGone reports whether cur was taken by a process that has since
// died on this host and in this PID namespace (kill -9, a crash, a power
// cut): its lease can be taken at once instead of after its expiry, so a
// restarted service resumes its jobs without waiting a lease period. Any
// doubt (another host or namespace, a PID alive or reused) keeps the lease.
func (l *lease) holderGone(cur leaseRecord) bool {
	if cur.Host == "" || cur.Host != l.self.Host || cur.PIDNS == "" || cur.PIDNS != l.self.PIDNS ||
		cur.PID <= 0 || cur.PID == l.self.PID {
		return false
	}
	return errors.Is(unix.Kill(cur.PID, 0), unix.ESRCH)
}

// Acquire implements archive.Locker with a lease file beside the lock name,
// read and rewritten under an flock so that processes sharing the folder
// compare-and-swap it safely. A holder that dies simply stops renewing, and
// its lease expires after ttl by the sink's clock, or at once for a process
// of this host that is no longer running.
func (s *Sink) Acquire(ctx context.Context, name string, ttl time.Duration) (archive.Lease, error) {
	p, err := s.path(name)
	if err != nil {
		return nil, err
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("lock %s: %w: ttl %v must be positive", name, archive.ErrInvalid, ttl)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := mkdirAll(filepath.Dir(p)); err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	host, _ := os.Hostname()
	l := &lease{sink: s, name: name, path: hiddenPath(p, ".lease"), ttl: ttl,
		self: leaseRecord{Owner: randomHex(16), Host: host, PID: os.Getpid(), PIDNS: pidNamespace()}}
	err = l.update(func(cur leaseRecord, now time.Time) (*leaseRecord, error) {
		if cur.Owner != "" && now.Before(cur.Expires) && !l.holderGone(cur) {
			return nil, fmt.Errorf("%w: held by %s (pid %d) until %s", archive.ErrLeased, cur.Host, cur.PID, cur.Expires.Format(time.RFC3339))
		}
		return l.renewed(now), nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	return l, nil
}

type lease struct {
	sink *Sink
	name string
	path string
	ttl  time.Duration
	self leaseRecord
}

func (l *lease) renewed(now time.Time) *leaseRecord {
	r := l.self
	r.Expires = now.Add(l.ttl).UTC()
	return &r
}

// Renew implements archive.Lease.
func (l *lease) Renew(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := l.update(func(cur leaseRecord, now time.Time) (*leaseRecord, error) {
		if cur.Owner != l.self.Owner {
			return nil, fmt.Errorf("%w: the lease expired and was taken over", archive.ErrLeased)
		}
		return l.renewed(now), nil
	})
	if err != nil {
		return fmt.Errorf("renew lock %s: %w", l.name, err)
	}
	return nil
}

// Release implements archive.Lease.
func (l *lease) Release(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := l.update(func(cur leaseRecord, _ time.Time) (*leaseRecord, error) {
		if cur.Owner != l.self.Owner {
			return nil, nil // no longer ours: nothing to give up
		}
		return &leaseRecord{}, nil
	})
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.name, err)
	}
	return nil
}

// update runs fn on the current lease record under the flock and, if fn
// returns a record, writes it in place and syncs it.
func (l *lease) update(fn func(cur leaseRecord, now time.Time) (*leaseRecord, error)) error {
	f, err := lockFile(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLeaseFile+1))
	if err != nil {
		return err
	}
	var cur leaseRecord
	if len(data) > maxLeaseFile || json.Unmarshal(data, &cur) != nil {
		cur = leaseRecord{}
	}
	next, err := fn(cur, l.sink.now())
	if err != nil || next == nil {
		return err
	}
	data = nil
	if next.Owner != "" {
		if data, err = json.Marshal(next); err != nil {
			return err
		}
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}

package azblob

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/entra-archiver/entra-archiver/internal/archive"
)

// Azure's limits for a finite blob lease.
const (
	minLease = 15 * time.Second
	maxLease = 60 * time.Second
)

// Acquire implements archive.Locker with a blob lease on an empty lock blob,
// which is created (create-only) the first time. ttl must be whole seconds
// from 15 s to 60 s.
func (s *Sink) Acquire(ctx context.Context, name string, ttl time.Duration) (archive.Lease, error) {
	if err := archive.CheckName(name); err != nil {
		return nil, err
	}
	if ttl < minLease || ttl > maxLease || ttl%time.Second != 0 {
		return nil, fmt.Errorf("lock %s: %w: lease time %v must be whole seconds from %v to %v", name, archive.ErrInvalid, ttl, minLease, maxLease)
	}
	bb := s.container.NewBlockBlobClient(name)
	lc, err := lease.NewBlobClient(bb, nil) // a fresh random lease ID
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	seconds := int32(ttl / time.Second)
	_, err = lc.AcquireLease(ctx, seconds, nil)
	if isNotFound(err) {
		_, err = bb.Upload(ctx, streaming.NopCloser(bytes.NewReader(nil)), &blockblob.UploadOptions{AccessConditions: createOnly})
		if err != nil && !bloberror.HasCode(err, bloberror.BlobAlreadyExists, bloberror.LeaseIDMissing) {
			return nil, s.fail("create lock", name, err)
		}
		_, err = lc.AcquireLease(ctx, seconds, nil)
	}
	switch {
	case err == nil:
		return &blobLease{sink: s, name: name, client: lc}, nil
	case bloberror.HasCode(err, bloberror.LeaseAlreadyPresent, bloberror.LeaseIsBreakingAndCannotBeAcquired):
		return nil, fmt.Errorf("lock %s: %w", name, archive.ErrLeased)
	}
	return nil, s.fail("lock", name, err)
}

type blobLease struct {
	sink   *Sink
	name   string
	client *lease.BlobClient
}

// Renew implements archive.Lease.
func (l *blobLease) Renew(ctx context.Context) error {
	_, err := l.client.RenewLease(ctx, nil)
	switch {
	case err == nil:
		return nil
	case bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation,
		bloberror.LeaseIsBrokenAndCannotBeRenewed, bloberror.LeaseLost):
		return fmt.Errorf("renew lock %s: %w: the lease was lost", l.name, archive.ErrLeased)
	}
	return l.sink.fail("renew lock", l.name, err)
}

// Release implements archive.Lease.
func (l *blobLease) Release(ctx context.Context) error {
	_, err := l.client.ReleaseLease(ctx, nil)
	if err == nil || bloberror.HasCode(err, bloberror.LeaseIDMismatchWithLeaseOperation, bloberror.LeaseNotPresentWithLeaseOperation) {
		return nil
	}
	return l.sink.fail("release lock", l.name, err)
}

package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
)

// quarantineMeta are the metadata keys every quarantined record carries.
var quarantineMeta = []string{archive.MetaSHA256, archive.MetaReason, archive.MetaStream, archive.MetaTenantID, archive.MetaArchiverVersion}

// checkQuarantine reads every quarantined record of the job, one at a time
// (each is a single record): its name, its metadata and the SHA-256 of its
// bytes must agree, and there must be at least as many as the state counted
// (the job stores a record before it counts it).
func (r *jobRun) checkQuarantine(ctx context.Context) error {
	dir := r.o.Layout.QuarantineDir(r.job.Tenant, r.job.Stream.Name)
	r.quarantineDir = dir
	err := r.o.Sink.List(ctx, dir, func(o archive.Object) error {
		return r.checkQuarantined(ctx, o)
	})
	if err != nil {
		return err
	}
	if r.stateQuarantined > int64(r.quarantined) {
		r.fault(dir, "missing: the state counted %d quarantined records, the quarantine holds %d (a quarantined record was deleted)",
			r.stateQuarantined, r.quarantined)
	}
	return nil
}

// checkQuarantined checks one blob of the quarantine folder.
func (r *jobRun) checkQuarantined(ctx context.Context, o archive.Object) error {
	sum, named := strings.CutSuffix(strings.TrimPrefix(o.Name, r.quarantineDir), ".json")
	if !named || !isSHA256(sum) {
		r.fault(o.Name, "unknown file in the quarantine: not a record named by its SHA-256 (%s<sha256>.json)", r.quarantineDir)
		return nil
	}
	r.quarantined++
	rc, err := r.o.Sink.Open(ctx, o.Name)
	if errors.Is(err, archive.ErrNotFound) {
		r.fault(o.Name, "listed, but gone when opened (deleted during the check?)")
		return nil
	}
	if err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(h, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("read %s: %w", o.Name, err)
	}
	r.rep.Blobs++
	r.rep.Bytes += n
	r.o.Progress.AddBytes(n)
	stored := hex.EncodeToString(h.Sum(nil))
	if stored != sum {
		r.fault(o.Name, "sha256 mismatch: the name says %s, stored bytes %s (the record was altered)", read.ShortHash(sum), read.ShortHash(stored))
	}
	var missing []string
	for _, k := range quarantineMeta {
		if archive.MetaGet(o.Metadata, k) == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		r.fault(o.Name, "metadata missing: %s", strings.Join(missing, ", "))
	}
	if got := archive.MetaGet(o.Metadata, archive.MetaSHA256); got != "" && got != stored {
		r.fault(o.Name, "sha256 mismatch: metadata %s, stored bytes %s", read.ShortHash(got), read.ShortHash(stored))
	}
	if got := archive.MetaGet(o.Metadata, archive.MetaStream); got != "" && got != r.job.Stream.Name {
		r.fault(o.Name, "metadata %s is %q, want %q (the stream of its folder)", archive.MetaStream, got, r.job.Stream.Name)
	}
	if got := archive.MetaGet(o.Metadata, archive.MetaTenantID); got != "" && r.job.TenantID != "" && !strings.EqualFold(got, r.job.TenantID) {
		r.fault(o.Name, "metadata %s is %q, want %q (the configured tenant)", archive.MetaTenantID, got, r.job.TenantID)
	}
	if o.Size != n {
		r.fault(o.Name, "size mismatch: listed as %d bytes, %d read", o.Size, n)
	}
	return nil
}

// isSHA256 reports whether s is a lower-case hex SHA-256.
func isSHA256(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

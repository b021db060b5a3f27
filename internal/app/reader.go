package app

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/export"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/verify"
)

// Reader serves the commands that only read the archive: status, verify
// and export. It opens storage (which must exist) and nothing else: no
// Graph client, no credential, no scheduler (DESIGN.md "Read-only
// commands").
type Reader struct {
	cfg     *config.Config
	storage *Storage
	log     *zap.Logger
}

// OpenReader opens the configured archive for reading.
func OpenReader(ctx context.Context, cfg *config.Config, log *zap.Logger) (*Reader, error) {
	st, err := OpenArchive(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("open storage: %w", err)
	}
	return &Reader{cfg: cfg, storage: st, log: log}, nil
}

// Status collects the status report of every configured job, and of the
// streams storage holds that the configuration does not list.
func (r *Reader) Status(ctx context.Context, now func() time.Time) (status.Report, error) {
	return status.Collect(ctx, statusOptions(r.cfg, r.storage.Sink, r.storage.Layout, r.storage.State, now))
}

// VerifyJobs selects the configured jobs to verify ("" matches all): a
// usage error when none matches.
func VerifyJobs(cfg *config.Config, tenant, stream string) ([]verify.Job, error) {
	specs, err := SelectSpecs(cfg, tenant, stream)
	if err != nil {
		return nil, err
	}
	jobs := make([]verify.Job, len(specs))
	for i, s := range specs {
		jobs[i] = s.VerifyJob()
	}
	return jobs, nil
}

// CheckHeads refuses recorded chain heads of jobs the configuration does
// not have (a typo would leave a head unchecked): a usage error.
func CheckHeads(cfg *config.Config, heads []verify.Head) error {
	for _, h := range heads {
		if _, err := SelectSpecs(cfg, h.Tenant, h.Stream); err != nil || h.Tenant == "" || h.Stream == "" {
			return usageError{fmt.Errorf("--heads: %s names %s/%s, which is not a configured job", h.Where, h.Tenant, h.Stream)}
		}
	}
	return nil
}

// Verify re-reads the archive of jobs (see verify.Run).
func (r *Reader) Verify(ctx context.Context, o verify.Options) (verify.Report, error) {
	o.Sink, o.Layout, o.State = r.storage.Sink, r.storage.Layout, r.storage.State
	return verify.Run(ctx, o)
}

// Export writes the export o describes (its tenant, stream, range, format
// and filters set) to the file path, replaced only when complete and
// checked, or, when path is "", to w. The configured job gives the rest:
// the tenant's id and partitioning, the job's state for the coverage
// check; an archive in another granularity than the configured one is a
// usage error (reading it as configured would find no partitions).
func (r *Reader) Export(ctx context.Context, o export.Options, path string, w io.Writer) (export.Stats, error) {
	// The stream need not be configured any more: its archive is read.
	t, ok := r.cfg.Tenant(o.Tenant)
	if !ok {
		return export.Stats{}, usageError{fmt.Errorf("no tenant %q in the configuration", o.Tenant)}
	}
	o.Sink, o.Layout, o.Partition, o.TenantID = r.storage.Sink, r.storage.Layout, t.Settings.Partition, t.TenantID
	jobState, _, found, err := r.storage.State.Load(ctx, o.Tenant, o.Stream.Name)
	if err != nil {
		return export.Stats{}, err
	}
	if found && !jobState.Start.IsZero() {
		o.State = &jobState
	}
	stored := read.Stream{Sink: o.Sink, Layout: o.Layout, Tenant: o.Tenant, Stream: o.Stream}
	g, known, err := stored.Granularity(ctx, &jobState, o.Partition)
	if err != nil {
		return export.Stats{}, err
	}
	if known && g != o.Partition {
		return export.Stats{}, usageError{fmt.Errorf("the archive of %s/%s is in %s partitions but the configuration says partition: %s; set partition: %s for this tenant",
			o.Tenant, o.Stream.Name, g, o.Partition, g)}
	}
	if path != "" {
		return export.ToFile(ctx, o, path)
	}
	return export.Run(ctx, o, w)
}

// StateName is where the job's state document lives, for messages.
func (r *Reader) StateName(tenant string, st audit.Stream) string {
	return r.storage.Layout.StateName(tenant, st.Name)
}

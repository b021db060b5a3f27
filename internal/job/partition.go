package job

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// partition is one partition of the job's archive as it stands: what its
// folder holds (read from a listing: the archive is its own index). It owns
// everything that changes a partition: writing the next part with the new
// records deduplicated against the stored ones, completing parts that lack
// a configured format, and sealing it with a manifest.
type partition struct {
	j   *Job
	p   audit.Partition
	inv *read.Partition
	// quarantine keeps records that cannot be archived (see overflow).
	quarantine func(context.Context, []audit.Reject) error
}

// openPartition lists what partition p holds.
func (j *Job) openPartition(ctx context.Context, p audit.Partition) (*partition, error) {
	inv, err := j.stored().Partition(ctx, p)
	if err != nil {
		return nil, err
	}
	return &partition{j: j, p: p, inv: inv}, nil
}

// stored is the job's stream as the archive holds it.
func (j *Job) stored() read.Stream {
	return read.Stream{Sink: j.deps.Sink, Layout: j.deps.Layout, Tenant: j.set.Tenant, Stream: j.set.Stream}
}

// sealed reports whether the partition has its manifest.
func (pt *partition) sealed() bool { return pt.inv.Manifest != nil }

// partOutcome is what writing one partition's new records did.
type partOutcome struct {
	written    bool
	part       int
	records    int
	late       int
	revisions  int
	duplicates int
	blobs      int
	bytes      int64
	// total is the number of parts the partition holds afterwards (0 when
	// it is sealed).
	total int
	// unarchived counts the records a backfill found for a sealed
	// partition that it does not hold.
	unarchived int
}

// write takes the next records of recs that fall in sub (a slice of the
// partition), drops those the partition already holds (same id and content)
// and stores the rest as the partition's next part. A partition without
// parts always gets its p000, even empty, so coverage is provable by
// listing. recorded is the number of parts the state says the partition
// held at the last commit (0: unknown).
func (pt *partition) write(ctx context.Context, sub audit.Window, recs *peekIter, k kind, recorded int) (partOutcome, error) {
	j := pt.j
	var out partOutcome
	started := j.deps.Clock()
	if pt.sealed() {
		return out, pt.writeSealed(ctx, sub, recs, k, &out)
	}
	if have := pt.inv.NextNumber(); have < recorded {
		j.log.Error("a part was deleted outside entra-archiver: the state records more parts than the partition holds; "+
			"records Graph still serves are archived again in the next part, the rest are lost (run verify, and see README \"WORM\")",
			zap.String("partition", pt.p.Label()), zap.Int("parts_recorded", recorded), zap.Int("parts_found", have))
	}
	var err error
	if out.blobs, err = pt.repair(ctx); err != nil {
		return out, err
	}
	stored, err := j.stored().OpenParts(ctx, pt.inv)
	if err != nil {
		return out, err
	}
	defer stored.Close()
	enc, err := j.newPartEncoder(j.formats)
	if err != nil {
		return out, err
	}
	defer enc.discard()
	if err := pt.merge(ctx, recs, sub.To, stored, enc, k, &out); err != nil {
		return out, err
	}
	out.records = enc.records
	out.total = pt.inv.NextNumber()
	if enc.records == 0 && len(pt.inv.Parts) > 0 {
		return out, nil
	}
	out.part = pt.inv.NextNumber()
	out.total = out.part + 1
	blobs, bytes, err := enc.commit(ctx, pt.p, out.part)
	out.blobs += blobs
	out.bytes += bytes
	if err != nil {
		return out, err
	}
	out.written = true
	j.log.Info("archived",
		zap.Stringer("window", sub), zap.String("partition", pt.p.Label()), zap.Int("part", out.part),
		zap.Int("records", out.records), zap.Int64("bytes", out.bytes), zap.Duration("duration", j.deps.Clock().Sub(started)),
		zap.Int("late", out.late), zap.Int("revisions", out.revisions), zap.Int("duplicates", out.duplicates),
		zap.Stringer("kind", k))
	return out, nil
}

// writeSealed consumes the records of a sealed partition without writing:
// its manifest is immutable, like the container it may live in. A backfill
// compares them with the sealed parts and counts in out.unarchived what
// Graph serves that the archive lacks (records that arrived after the last
// recheck), so the loss is reported, not silent.
func (pt *partition) writeSealed(ctx context.Context, sub audit.Window, recs *peekIter, k kind, out *partOutcome) error {
	j := pt.j
	if k != kindBackfill {
		n, err := drain(recs, sub.To)
		if err != nil {
			return err
		}
		j.log.Info("partition is sealed; left as it is", zap.String("partition", pt.p.Label()),
			zap.Stringer("window", sub), zap.Int("records_seen", n), zap.Stringer("kind", k))
		return nil
	}
	stored, err := j.stored().OpenParts(ctx, pt.inv)
	if err != nil {
		return err
	}
	defer stored.Close()
	count := &partEncoder{j: j} // no formats: counts only
	var seen partOutcome
	if err := pt.merge(ctx, recs, sub.To, stored, count, k, &seen); err != nil {
		return err
	}
	out.unarchived = count.records
	if count.records > 0 {
		j.log.Error("sealed partition: Graph serves records it does not hold (they arrived after the last recheck); "+
			"a sealed partition is never changed, so they are not archived (lengthen recheck to catch such arrivals)",
			zap.String("partition", pt.p.Label()), zap.Stringer("window", sub), zap.Int("records_not_archived", count.records),
			zap.Int("revisions", seen.revisions), zap.Int("duplicates", seen.duplicates))
	}
	return nil
}

func drain(recs *peekIter, end time.Time) (int, error) {
	n := 0
	for {
		_, ok, err := recs.nextBefore(end)
		if err != nil || !ok {
			return n, err
		}
		n++
	}
}

// merge walks the sorted new records before end together with the stored
// parts (a merge join on event time and id), so neither side is ever held
// in memory. A new record whose content, in the form it is stored in,
// equals a stored or already accepted version of the record (the rule of
// read.Contents, which verify applies too) is a duplicate; one whose
// record is known with other content is a revision. Versions of one record
// beyond read.MaxVersions are not archived with it (see overflow).
func (pt *partition) merge(ctx context.Context, recs *peekIter, end time.Time, stored *read.Merge, enc *partEncoder, k kind, out *partOutcome) error {
	primary := pt.j.formats[0]
	versions := read.Contents{Stream: pt.j.set.Stream, Rows: primary == format.CSV || pt.inv.HoldsRows()}
	var key audit.Record
	started := false
	for {
		rec, ok, err := recs.nextBefore(end)
		if err != nil || !ok {
			return err
		}
		if !started || audit.CompareKey(&rec, &key) != 0 {
			started, key = true, audit.Record{Time: rec.Time, ID: rec.ID}
			versions.Reset()
			n, err := storedAt(stored, &key, &versions)
			if err != nil {
				return fmt.Errorf("read back existing part: %w", err)
			}
			next, more, err := recs.Peek()
			if err != nil {
				return err
			}
			if n == 0 && (!more || audit.CompareKey(&next, &key) != 0) {
				// The common case, a new record met once, needs no digest.
				if k == kindRecheck {
					out.late++
				}
				if err := enc.Write(&rec); err != nil {
					return err
				}
				continue
			}
		}
		v, err := pt.asStored(&rec, primary)
		if err != nil {
			return err
		}
		known := versions.Len()
		_, dup, err := versions.Seen(&v)
		switch {
		case errors.Is(err, read.ErrTooManyVersions):
			if err := pt.overflow(ctx, &rec, enc, err); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		case dup:
			out.duplicates++
			continue
		case known > 0:
			out.revisions++
		case k == kindRecheck:
			out.late++
		}
		if err := enc.Write(&rec); err != nil {
			return err
		}
	}
}

// asStored is rec as the part will store it: in the primary format.
func (pt *partition) asStored(rec *audit.Record, primary string) (read.Version, error) {
	v := read.Version{Record: *rec, Part: pt.inv.NextNumber(), Format: primary}
	if primary == format.CSV {
		row, err := format.ContentKey(format.CSV, pt.j.set.Stream, rec)
		if err != nil {
			return v, err
		}
		v.Raw = row
	}
	return v, nil
}

// storedAt advances the stored parts to key's (time, id) and adds the
// versions stored there to versions; it returns how many there are.
func storedAt(stored *read.Merge, key *audit.Record, versions *read.Contents) (int, error) {
	n := 0
	for {
		next, ok, err := stored.Peek()
		if err != nil || !ok || audit.CompareKey(&next, key) > 0 {
			return n, err
		}
		v, err := stored.Next()
		if err != nil {
			return n, err
		}
		if audit.CompareKey(&v.Record, key) < 0 {
			continue
		}
		n++
		if _, _, err := versions.Seen(&v); err != nil {
			return n, fmt.Errorf("%s: %w; the archive was changed outside entra-archiver (run verify)", v.Reader.Blob().Name, err)
		}
	}
}

// overflow takes a new version of a record that already has
// read.MaxVersions: every reader of the archive would refuse more. A
// sealed partition counts it with the records it does not hold; otherwise
// it is quarantined with the reason, like a record without an id.
func (pt *partition) overflow(ctx context.Context, rec *audit.Record, enc *partEncoder, reason error) error {
	if pt.sealed() {
		return enc.Write(rec)
	}
	if pt.quarantine == nil {
		return reason
	}
	return pt.quarantine(ctx, []audit.Reject{{Raw: rec.Raw, Reason: reason.Error()}})
}

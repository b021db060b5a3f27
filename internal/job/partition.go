package job

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"go.uber.org/zap"

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
	inv *inventory
}

// openPartition lists what partition p holds.
func (j *Job) openPartition(ctx context.Context, p audit.Partition) (*partition, error) {
	inv, err := j.inventory(ctx, p)
	if err != nil {
		return nil, err
	}
	return &partition{j: j, p: p, inv: inv}, nil
}

// sealed reports whether the partition has its manifest.
func (pt *partition) sealed() bool { return pt.inv.manifest != nil }

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
	if have := pt.inv.next(); have < recorded {
		j.log.Error("a part was deleted outside entra-archiver: the state records more parts than the partition holds; "+
			"records Graph still serves are archived again in the next part, the rest are lost (run verify, and see README \"WORM\")",
			zap.String("partition", pt.p.Label()), zap.Int("parts_recorded", recorded), zap.Int("parts_found", have))
	}
	var err error
	if out.blobs, err = pt.repair(ctx); err != nil {
		return out, err
	}
	cursors, err := pt.openCursors(ctx)
	defer closeCursors(cursors)
	if err != nil {
		return out, err
	}
	enc, err := j.newPartEncoder(j.formats)
	if err != nil {
		return out, err
	}
	defer enc.discard()
	if err := pt.merge(recs, sub.To, cursors, enc, k, &out); err != nil {
		return out, err
	}
	out.records = enc.records
	out.total = pt.inv.next()
	if enc.records == 0 && len(pt.inv.parts) > 0 {
		return out, nil
	}
	out.part = pt.inv.next()
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
	cursors, err := pt.openCursors(ctx)
	defer closeCursors(cursors)
	if err != nil {
		return err
	}
	count := &partEncoder{j: j} // no formats: counts only
	var seen partOutcome
	if err := pt.merge(recs, sub.To, cursors, count, k, &seen); err != nil {
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

type digest [sha256.Size]byte

type storedDigest struct {
	format string
	sum    digest
}

// merge walks the sorted new records before end together with the sorted
// stored parts (a merge join on event time and id), so neither side is ever
// held in memory. A new record whose content (in the format it is stored in)
// equals a stored or already accepted record with the same id and time is a
// duplicate; one whose id is known with other content is a revision.
func (pt *partition) merge(recs *peekIter, end time.Time, cursors []*cursor, enc *partEncoder, k kind, out *partOutcome) error {
	primary := pt.j.formats[0]
	var group []audit.Record
	for {
		first, ok, err := recs.nextBefore(end)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		group = append(group[:0], first)
		for {
			next, ok, err := recs.Peek()
			if err != nil {
				return err
			}
			if !ok || audit.CompareKey(&next, &first) != 0 {
				break
			}
			recs.Take()
			group = append(group, next)
		}
		stored, err := storedAt(cursors, &first)
		if err != nil {
			return err
		}
		if len(stored) == 0 && len(group) == 1 {
			if err := enc.Write(&group[0]); err != nil {
				return err
			}
			if k == kindRecheck {
				out.late++
			}
			continue
		}
		var accepted []digest
		for i := range group {
			rec := &group[i]
			dup, err := pt.isStored(rec, stored)
			if err != nil {
				return err
			}
			key, err := format.ContentKey(primary, pt.j.set.Stream, rec)
			if err != nil {
				return err
			}
			sum := digest(sha256.Sum256(key))
			for _, a := range accepted {
				dup = dup || a == sum
			}
			if dup {
				out.duplicates++
				continue
			}
			if len(stored) > 0 || len(accepted) > 0 {
				out.revisions++
			} else if k == kindRecheck {
				out.late++
			}
			accepted = append(accepted, sum)
			if err := enc.Write(rec); err != nil {
				return err
			}
		}
	}
}

// storedAt advances every cursor to key's (time, id) and returns the
// digests of the stored versions there.
func storedAt(cursors []*cursor, key *audit.Record) ([]storedDigest, error) {
	var stored []storedDigest
	for _, c := range cursors {
		for c.ok && audit.CompareKey(&c.cur, key) < 0 {
			c.advance()
		}
		for c.ok && audit.CompareKey(&c.cur, key) == 0 {
			stored = append(stored, storedDigest{format: c.format, sum: sha256.Sum256(c.cur.Raw)})
			c.advance()
		}
		if c.err != nil {
			return nil, fmt.Errorf("read back existing part: %w", c.err)
		}
	}
	return stored, nil
}

// isStored reports whether rec's content equals one of the stored digests,
// each compared in the format it was read from.
func (pt *partition) isStored(rec *audit.Record, stored []storedDigest) (bool, error) {
	keys := map[string]digest{}
	for _, s := range stored {
		sum, ok := keys[s.format]
		if !ok {
			key, err := format.ContentKey(s.format, pt.j.set.Stream, rec)
			if err != nil {
				return false, err
			}
			sum = sha256.Sum256(key)
			keys[s.format] = sum
		}
		if sum == s.sum {
			return true, nil
		}
	}
	return false, nil
}

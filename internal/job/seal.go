package job

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// sealBatch is how many partitions are sealed between state saves. A crash
// in between re-seals them; identical manifests are accepted by Put.
const sealBatch = 24

// seal writes the manifest of every partition that is past its last recheck
// (it ends at or before the watermark and every recheck mark), oldest first,
// each naming the previous one, so a stream's manifests form a hash chain. A
// partition of a span lost before it was read has no parts: its manifest
// says so.
func (r *run) seal(ctx context.Context) (int, error) {
	j, st := r.j, &r.pr.st
	point := st.Watermark
	for _, m := range st.Recheck {
		point = minTime(point, m)
	}
	sealed, pending := 0, 0
	for p := j.set.Partition.Of(st.SealedThrough); !p.End().After(point); p = p.Next() {
		if err := ctx.Err(); err != nil {
			return sealed, err
		}
		pt, err := j.openPartition(ctx, p)
		if err != nil {
			return sealed, err
		}
		lost := ""
		if l, ok := st.LostAt(p.Start); ok && st.NeverRead(p.Start, p.End()) && len(pt.inv.Parts) == 0 {
			lost = l.Reason
		}
		name, sum, err := pt.seal(ctx, st.LastManifest, st.LastManifestSHA256, lost)
		if err != nil {
			return sealed, err
		}
		st.SealedThrough = p.End()
		st.LastManifest, st.LastManifestSHA256 = name, sum
		sealed++
		pending++
		if pending == sealBatch {
			if err := j.save(ctx, r.pr); err != nil {
				return sealed, err
			}
			pending = 0
		}
	}
	st.ForgetParts(st.SealedThrough)
	if pending > 0 {
		if err := j.save(ctx, r.pr); err != nil {
			return sealed, err
		}
	}
	if sealed > 0 {
		// Kept anywhere else (a ticket, a mail), the head proves later that
		// the chain up to it was not rewritten: verify --heads.
		j.log.Info("sealed: the stream's manifest chain has a new head",
			zap.String("manifest", st.LastManifest), zap.String("sha256", st.LastManifestSHA256),
			zap.Time("sealed_through", st.SealedThrough), zap.Int("partitions", sealed))
	}
	return sealed, nil
}

// lastRecheck is the largest recheck age (0 without rechecks).
func (j *Job) lastRecheck() time.Duration {
	if n := len(j.set.Recheck); n > 0 {
		return j.set.Recheck[n-1]
	}
	return 0
}

// extendBack seals the backfilled partitions [from, start), oldest first,
// as the chain's new beginning, and moves the job's start to from. If the
// start's manifest is written already (it names no previous one), the link
// to the newest backfilled manifest is kept in the state as a junction;
// otherwise the seal that follows links to it as usual.
func (j *Job) extendBack(ctx context.Context, pr *runState, from time.Time) error {
	start := pr.st.Start
	var prev, prevSHA string
	for p := j.set.Partition.Of(from); p.Start.Before(start); p = p.Next() {
		pt, err := j.openPartition(ctx, p)
		if err != nil {
			return err
		}
		name, sum, err := pt.seal(ctx, prev, prevSHA, "")
		if err != nil {
			return fmt.Errorf("seal backfilled partition %s: %w", p.Label(), err)
		}
		prev, prevSHA = name, sum
	}
	if pr.st.SealedThrough.After(start) {
		pr.st.Junctions = append(pr.st.Junctions, state.Junction{At: start, Previous: prev, PreviousSHA256: prevSHA})
	} else {
		pr.st.SealedThrough, pr.st.LastManifest, pr.st.LastManifestSHA256 = start, prev, prevSHA
	}
	// The recheck marks stay: the new span is past every age already.
	pr.st.Start = j.set.Partition.Floor(from)
	if err := j.save(ctx, pr); err != nil {
		return err
	}
	j.log.Info("archive extended back: the backfilled partitions are sealed and the job starts earlier",
		zap.Time("start", pr.st.Start), zap.Time("previous_start", start))
	return nil
}

// seal writes the partition's manifest and returns its stream-relative name
// and hash. previous is the stream-relative name of the chain's head. lost,
// when set, is why a partition without parts has none: its manifest lists
// no blobs and says so.
func (pt *partition) seal(ctx context.Context, previous, previousSHA, lost string) (string, string, error) {
	j, p := pt.j, pt.p
	full := j.deps.Layout.ManifestName(j.set.Tenant, j.set.Stream.Name, p)
	rel := strings.TrimPrefix(full, j.deps.Layout.StreamDir(j.set.Tenant, j.set.Stream.Name))
	if len(pt.inv.Parts) == 0 && lost == "" {
		return "", "", fmt.Errorf("partition %s is below the watermark but has no p000; the archive was changed outside entra-archiver (run verify)", p.Label())
	}
	if n, err := pt.repair(ctx); err != nil {
		return "", "", err
	} else if n > 0 {
		if pt.inv, err = j.stored().Partition(ctx, p); err != nil {
			return "", "", err
		}
	}
	inv := pt.inv
	m := manifest.Manifest{
		Version:        manifest.Version,
		TenantID:       j.set.TenantID,
		Stream:         j.set.Stream.Name,
		PartitionStart: p.Start,
		PartitionEnd:   p.End(),
		Previous:       previous,
		PreviousSHA256: previousSHA,
		Lost:           lost,
	}
	for _, part := range inv.Parts {
		for _, b := range part.Blobs {
			records, ok := b.Records()
			if !ok {
				return "", "", fmt.Errorf("blob %s has no valid records metadata; run verify", b.Name)
			}
			m.Blobs = append(m.Blobs, manifest.Blob{
				Name: layout.BaseName(b.Name), Part: part.Number, Format: b.Format, Records: records, Size: b.Size,
				SHA256: archive.MetaGet(b.Metadata, archive.MetaSHA256),
			})
		}
	}
	m.Records = inv.Records() // every count was read above
	data, sum, err := m.Encode()
	if err != nil {
		return "", "", err
	}
	if inv.Manifest != nil {
		// Sealed by an earlier run that stopped before saving the state:
		// adopt it if it continues the chain.
		return rel, sum, j.adoptManifest(ctx, full, data)
	}
	meta := archive.Meta{Kind: archive.ManifestBlob, SHA256: sum, Records: m.Records, Start: p.Start, End: p.End(),
		Stream: j.set.Stream.Name, TenantID: j.set.TenantID, Version: j.deps.Version}.Map()
	if err := j.deps.Sink.Put(ctx, full, bytes.NewReader(data), int64(len(data)), meta); err != nil {
		return "", "", fmt.Errorf("store manifest %s: %w", full, err)
	}
	j.deps.Metrics.BlobWritten(j.set.Tenant, j.set.Stream.Name, int64(len(data)))
	j.log.Debug("sealed", zap.String("partition", p.Label()), zap.Int64("records", m.Records))
	return rel, sum, nil
}

// adoptManifest accepts an existing manifest only if it is byte-identical to
// the one this run would write.
func (j *Job) adoptManifest(ctx context.Context, name string, want []byte) error {
	rc, err := j.deps.Sink.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rc.Close()
	have, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read %s: %w", name, err)
	}
	if !bytes.Equal(have, want) {
		return fmt.Errorf("manifest %s: %w: it differs from the one this run computes (run verify)", name, archive.ErrExists)
	}
	return nil
}

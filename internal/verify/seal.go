package verify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
)

// sealInfo is what the chain check needs of one manifest.
type sealInfo struct {
	sha256 string // of its stored bytes
	// previous and previousSHA256 are its link; decoded is false when the
	// manifest did not parse (the link is then unknown).
	previous, previousSHA256 string
	decoded                  bool
}

// checkManifest compares a partition's manifest with the blobs the partition
// holds: the same names, each with the records, size and sha256 read from
// it.
func (r *jobRun) checkManifest(ctx context.Context, g *group, results map[string]blobResult) error {
	name := g.manifest.Name
	data, err := fetch(ctx, r.o.Sink, name)
	switch {
	case errors.Is(err, archive.ErrNotFound):
		r.fault(name, "listed, but gone when opened (deleted during the check?)")
		return nil
	case errors.Is(err, errTooLarge):
		r.fault(name, "not a manifest: %v", err)
		return nil
	case err != nil:
		return err
	}
	r.rep.Blobs++
	r.rep.Bytes += int64(len(data))
	r.o.Progress.AddBytes(int64(len(data)))
	sum := manifest.Hash(data)
	info := sealInfo{sha256: sum}
	if g.p.Granularity == r.job.Partition {
		defer func() { r.seals[g.p.Start] = info }()
	}
	switch got := archive.MetaGet(g.manifest.Metadata, archive.MetaSHA256); got {
	case sum:
	case "":
		r.fault(name, "metadata missing: %s", archive.MetaSHA256)
	default:
		r.fault(name, "sha256 mismatch: metadata %s, stored bytes %s", short(got), short(sum))
	}
	m, err := manifest.Decode(data)
	if err != nil {
		r.fault(name, "does not parse: %v", err)
		return nil
	}
	info.previous, info.previousSHA256, info.decoded = m.Previous, m.PreviousSHA256, true
	if got := archive.MetaGet(g.manifest.Metadata, archive.MetaRecords); got != strconv.FormatInt(m.Records, 10) {
		r.fault(name, "metadata records is %q, the manifest says %d", got, m.Records)
	}
	r.checkManifestHeader(name, g.p, m)
	if m.Lost != "" {
		if g.p.Granularity == r.job.Partition {
			r.lostSeals[g.p.Start] = m.Lost
		}
		r.checkLostManifest(g, m)
		return nil
	}
	r.checkManifestBlobs(g, m, results)
	return nil
}

func (r *jobRun) checkManifestHeader(name string, p audit.Partition, m manifest.Manifest) {
	if m.Stream != r.job.Stream.Name {
		r.fault(name, "manifest is for stream %q, want %q", m.Stream, r.job.Stream.Name)
	}
	if r.job.TenantID != "" && m.TenantID != r.job.TenantID {
		r.fault(name, "manifest is for tenant %q, want %q", m.TenantID, r.job.TenantID)
	}
	if !m.PartitionStart.Equal(p.Start) || !m.PartitionEnd.Equal(p.End()) {
		r.fault(name, "manifest seals [%s, %s), want the partition of its name %s",
			audit.FormatTime(m.PartitionStart), audit.FormatTime(m.PartitionEnd), p.Window())
	}
}

func (r *jobRun) checkManifestBlobs(g *group, m manifest.Manifest, results map[string]blobResult) {
	name := g.manifest.Name
	dir := r.o.Layout.PartitionDir(r.job.Tenant, r.job.Stream.Name, g.p)
	listed := map[string]bool{}
	if records := listedRecords(m); records != m.Records {
		r.fault(name, "says the partition holds %d records, its blobs list %d", m.Records, records)
	}
	for _, b := range m.Blobs {
		full := dir + b.Name
		listed[full] = true
		e, ok := layout.ParseName(r.job.Stream.Name, b.Name)
		if !ok || e.Manifest || e.Partition != g.p {
			r.fault(name, "lists %q, which is not a part of this partition", b.Name)
			continue
		}
		if e.Part.Number != b.Part || e.Part.Format != b.Format {
			r.fault(name, "lists %s as part %d in %s, but its name says part %d in %s", b.Name, b.Part, b.Format, e.Part.Number, e.Part.Format)
		}
		s, ok := g.parts[e.Part.Number][e.Part.Format]
		if !ok || s.obj.Name != full {
			r.fault(full, "missing: listed in the manifest %s", layout.BaseName(name))
			continue
		}
		res := results[full]
		if b.SHA256 != res.sha256 {
			r.fault(full, "sha256 mismatch: manifest %s, stored bytes %s", short(b.SHA256), short(res.sha256))
		}
		if res.parsed && b.Records != res.records {
			r.fault(full, "record count mismatch: manifest %d, the blob holds %d", b.Records, res.records)
		}
		if b.Size != res.size {
			r.fault(full, "size mismatch: manifest %d bytes, stored %d", b.Size, res.size)
		}
	}
	for _, n := range g.numbers() {
		for _, s := range g.parts[n] {
			if !listed[s.obj.Name] {
				r.fault(s.obj.Name, "not listed in the manifest %s that seals its partition", layout.BaseName(name))
			}
		}
	}
}

// listedRecords sums the records a manifest lists for each part in the
// part's most faithful listed format, as the job counts them.
func listedRecords(m manifest.Manifest) int64 {
	faithful := map[int]manifest.Blob{}
	for _, b := range m.Blobs {
		cur, seen := faithful[b.Part]
		if !seen || slices.Index(layout.Formats, b.Format) < slices.Index(layout.Formats, cur.Format) {
			faithful[b.Part] = b
		}
	}
	var n int64
	for _, b := range faithful {
		n += b.Records
	}
	return n
}

// checkCoverage reports every partition from the job's start up to its
// watermark that has no part at all (those with some parts but no p000 are
// reported by the gap check), but for those the job never read.
func (r *jobRun) checkCoverage() {
	w := r.clamp(audit.Window{From: r.st.Start, To: r.st.Watermark})
	for p := r.job.Partition.Of(w.From); p.Start.Before(w.To); p = p.Next() {
		if r.withParts[p.Start] == 0 && !r.knownLost(p) {
			r.fault(r.p000(p), "missing: partition %s is below the watermark (%s) but has no p000",
				p.Label(), audit.FormatTime(r.st.Watermark))
		}
	}
}

// checkRecorded reports the newest parts of unsealed partitions that the
// state counted at its last commit but the archive no longer holds (a sealed
// partition's parts are checked against its manifest, and a partition with
// no part at all by checkCoverage).
func (r *jobRun) checkRecorded() {
	counts := r.st.PartCounts()
	for _, start := range slices.SortedFunc(maps.Keys(counts), time.Time.Compare) {
		p := r.job.Partition.Of(start)
		have, want := r.withParts[start], counts[start]
		if !p.Start.Equal(start) || start.Before(r.st.SealedThrough) || !r.inRange(p) || have == 0 || have >= want {
			continue
		}
		for n := have; n < want; n++ {
			name := r.partName(p, n)
			r.fault(name, "missing: the state counted %d parts of partition %s at its last commit, the archive holds %d",
				want, p.Label(), have)
		}
	}
}

// checkChain checks the seals: every partition that ends at or before the
// state's sealed_through has a manifest; every manifest from the job's start
// on names the manifest of the partition before it with that manifest's
// SHA-256 (the first names none); the state's head is the newest manifest.
func (r *jobRun) checkChain(ctx context.Context) error {
	g, st := r.job.Partition, r.st
	w := r.clamp(audit.Window{From: st.Start, To: st.SealedThrough})
	for p := g.Of(w.From); p.Start.Before(w.To); p = p.Next() {
		if _, ok := r.seals[p.Start]; !ok {
			r.fault(r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, p),
				"missing: partition %s ends at or before sealed_through (%s) and must be sealed by this manifest",
				p.Label(), audit.FormatTime(st.SealedThrough))
		}
	}
	for _, start := range slices.SortedFunc(maps.Keys(r.seals), time.Time.Compare) {
		if start.Before(st.Start) {
			continue
		}
		if err := r.checkLink(ctx, audit.Partition{Start: start, Granularity: g}); err != nil {
			return err
		}
	}
	if !st.SealedThrough.After(st.Start) || r.inferred {
		return nil
	}
	head := audit.Partition{Start: st.SealedThrough.Add(-g.Size()), Granularity: g}
	if !r.inRange(head) {
		return nil
	}
	full := r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, head)
	if want := r.rel(full); st.LastManifest != want {
		r.fault(full, "the state names %q as the newest manifest, want this one (sealed through %s)",
			st.LastManifest, audit.FormatTime(st.SealedThrough))
	} else if info, ok := r.seals[head.Start]; ok && info.sha256 != st.LastManifestSHA256 {
		r.fault(full, "sha256 mismatch: the state recorded %s when it sealed this newest manifest, stored bytes %s",
			short(st.LastManifestSHA256), short(info.sha256))
	}
	return nil
}

// checkLink checks that p's manifest names its predecessor correctly.
func (r *jobRun) checkLink(ctx context.Context, p audit.Partition) error {
	info := r.seals[p.Start]
	full := r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, p)
	var wantName, wantSHA string
	// The oldest manifest of an inferred state is the chain's root only if
	// it names no previous one.
	if !p.Start.Equal(r.st.Start) || (r.inferred && info.decoded && info.previous != "") {
		q := audit.Partition{Start: p.Start.Add(-p.Granularity.Size()), Granularity: p.Granularity}
		prevFull := r.o.Layout.ManifestName(r.job.Tenant, r.job.Stream.Name, q)
		wantName = r.rel(prevFull)
		if prev, ok := r.seals[q.Start]; ok {
			wantSHA = prev.sha256
		} else {
			// Outside the range checked, or missing: read it.
			data, err := fetch(ctx, r.o.Sink, prevFull)
			switch {
			case errors.Is(err, archive.ErrNotFound):
				r.fault(full, "the chain is broken: the previous manifest %s is missing", wantName)
				return nil
			case errors.Is(err, errTooLarge):
				r.fault(full, "the chain is broken: the previous manifest %s is not a manifest (%v)", wantName, err)
				return nil
			case err != nil:
				return err
			}
			wantSHA = manifest.Hash(data)
		}
	}
	if !info.decoded {
		return nil
	}
	// The link is the manifest's own, or, for one sealed before a backfill
	// extended the archive back (it names no previous manifest), the
	// junction the state keeps for it.
	link, linkSHA, holder := info.previous, info.previousSHA256, "previous_sha256 is"
	if jn, ok := r.st.JunctionAt(p.Start); ok && wantName != "" {
		if info.previous != "" {
			r.fault(full, "the chain is broken: links to previous manifest %q, but the state keeps its link as a junction", info.previous)
			return nil
		}
		link, linkSHA, holder = jn.Previous, jn.PreviousSHA256, "the state recorded"
	}
	switch {
	case link != wantName:
		r.fault(full, "the chain is broken: links to previous manifest %q, want %q", link, wantName)
	case linkSHA != wantSHA:
		r.fault(full, "the chain is broken: %s %s, but the previous manifest %s hashes to %s (one of the two was altered)",
			holder, short(linkSHA), wantName, short(wantSHA))
	}
	return nil
}

// fetch reads a small blob whole (a manifest).
func fetch(ctx context.Context, sink archive.Sink, name string) ([]byte, error) {
	rc, err := sink.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := readLimited(rc, maxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return data, nil
}

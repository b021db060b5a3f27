package verify

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
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

// checkSeal reads a partition's manifest and compares it with its own
// metadata and name, the blobs the partition holds (the same names, each
// with the records, size and sha256 read from it) and notes its link in
// the chain.
func (r *jobRun) checkSeal(ctx context.Context, p *read.Partition, checks map[string]read.Check) error {
	seal, problems, err := r.stream.ReadSeal(ctx, p)
	if err != nil {
		return err
	}
	r.problems(problems)
	if seal.SHA256 == "" {
		return nil // gone, or not a manifest
	}
	r.rep.Blobs++
	r.rep.Bytes += seal.Size
	r.o.Progress.AddBytes(seal.Size)
	m := seal.Manifest
	ours := p.Granularity == r.job.Partition
	if ours {
		r.seals[p.Start] = sealInfo{sha256: seal.SHA256, previous: m.Previous, previousSHA256: m.PreviousSHA256, decoded: seal.Decoded}
	}
	if !seal.Decoded {
		return nil
	}
	if m.Lost != "" && ours {
		r.lostSeals[p.Start] = m.Lost
	}
	r.problems(r.stream.CheckSeal(p, seal))
	if m.Lost != "" {
		return nil
	}
	for _, b := range p.Blobs() {
		entry, listed := seal.Entry(layout.BaseName(b.Name))
		if c := checks[b.Name]; listed && c.SHA256 != "" {
			for _, problem := range c.AgainstManifest(entry) {
				r.fault(b.Name, "%s", problem)
			}
		}
	}
	return nil
}

// checkCoverage reports every partition the state owes a p000
// (read.Needs) that has no part at all (those with some parts but no p000
// are reported by the gap check), but for those a manifest seals as lost.
func (r *jobRun) checkCoverage() {
	w := r.clamp(audit.Window{From: r.st.Start, To: r.st.Watermark})
	for p := r.job.Partition.Of(w.From); p.Start.Before(w.To); p = p.Next() {
		_, sealedLost := r.lostSeals[p.Start]
		if r.withParts[p.Start] == 0 && read.Needs(r.st, p) == read.Owed && !sealedLost {
			r.fault(r.p000(p), "missing: partition %s is below the watermark (%s) but has no p000",
				p.Label(), audit.FormatTime(r.st.Watermark))
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
			read.ShortHash(st.LastManifestSHA256), read.ShortHash(info.sha256))
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
			data, err := read.ReadSmall(ctx, r.o.Sink, prevFull)
			switch {
			case errors.Is(err, archive.ErrNotFound):
				r.fault(full, "the chain is broken: the previous manifest %s is missing", wantName)
				return nil
			case errors.Is(err, archive.ErrTooLarge):
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
			holder, read.ShortHash(linkSHA), wantName, read.ShortHash(wantSHA))
	}
	return nil
}

// p000 is the name the first part of p has in the most faithful
// configured format.
func (r *jobRun) p000(p audit.Partition) string {
	f := format.JSONL
	for _, lf := range format.All {
		if slices.Contains(r.job.Formats, lf) {
			f = lf
			break
		}
	}
	return r.o.Layout.PartName(layout.Part{Tenant: r.job.Tenant, Stream: r.job.Stream.Name,
		Partition: p, Format: f, Gzip: r.job.Gzip})
}

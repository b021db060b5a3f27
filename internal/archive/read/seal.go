package read

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
)

// Problem is something wrong with one blob: a sentence, and the blob it
// concerns (for a missing blob, the name it should have).
type Problem struct {
	Blob, Text string
}

// Err is the problem as a *DamageError.
func (p Problem) Err() error { return &DamageError{Blob: p.Blob, Problems: []string{p.Text}} }

// maxManifestSize bounds what is read of a manifest: it lists its
// partition's blobs, a few hundred bytes each.
const maxManifestSize = 16 << 20

// Seal is a partition's manifest as read.
type Seal struct {
	Name string // the blob
	// SHA256 is the hash of its stored bytes; "" when they could not be
	// read (gone, too large).
	SHA256 string
	Size   int64
	// Manifest is meaningful when Decoded.
	Manifest manifest.Manifest
	Decoded  bool
}

// Entry returns the manifest's entry for the blob of base name base.
func (s Seal) Entry(base string) (manifest.Blob, bool) {
	for _, b := range s.Manifest.Blobs {
		if b.Name == base {
			return b, true
		}
	}
	return manifest.Blob{}, false
}

// ReadSeal reads the manifest of p (which must have one) and checks it
// against its metadata (sha256, records), the partition of its name and
// the tenant. Its error is a failing read of the storage; a manifest gone
// since the listing is a problem.
func (s Stream) ReadSeal(ctx context.Context, p *Partition) (Seal, []Problem, error) {
	seal := Seal{Name: p.Manifest.Name}
	var problems []Problem
	fault := func(format string, args ...any) {
		problems = append(problems, Problem{Blob: seal.Name, Text: fmt.Sprintf(format, args...)})
	}
	data, err := ReadSmall(ctx, s.Sink, seal.Name)
	switch {
	case errors.Is(err, archive.ErrNotFound):
		fault("listed, but gone when opened (deleted during the check?)")
		return seal, problems, nil
	case errors.Is(err, archive.ErrTooLarge):
		fault("not a manifest: %v", err)
		return seal, problems, nil
	case err != nil:
		return seal, nil, err
	}
	seal.SHA256, seal.Size = manifest.Hash(data), int64(len(data))
	switch got := archive.MetaGet(p.Manifest.Metadata, archive.MetaSHA256); got {
	case seal.SHA256:
	case "":
		fault("metadata missing: %s", archive.MetaSHA256)
	default:
		fault("sha256 mismatch: metadata %s, stored bytes %s", ShortHash(got), ShortHash(seal.SHA256))
	}
	m, err := manifest.Decode(data)
	if err != nil {
		fault("does not parse: %v", err)
		return seal, problems, nil
	}
	seal.Manifest, seal.Decoded = m, true
	if got := archive.MetaGet(p.Manifest.Metadata, archive.MetaRecords); got != strconv.FormatInt(m.Records, 10) {
		fault("metadata records is %q, the manifest says %d", got, m.Records)
	}
	if m.Stream != s.Stream.Name {
		fault("manifest is for stream %q, want %q", m.Stream, s.Stream.Name)
	}
	if s.TenantID != "" && m.TenantID != s.TenantID {
		fault("manifest is for tenant %q, want %q", m.TenantID, s.TenantID)
	}
	if !m.PartitionStart.Equal(p.Start) || !m.PartitionEnd.Equal(p.End()) {
		fault("manifest seals [%s, %s), want the partition of its name %s",
			audit.FormatTime(m.PartitionStart), audit.FormatTime(m.PartitionEnd), p.Window())
	}
	return seal, problems, nil
}

// CheckSeal compares what partition p holds with its decoded manifest:
// the same blobs (every one listed is there, every one there is listed)
// and the records they add up to; a partition sealed as lost holds none.
// The blobs' contents are compared by Check.AgainstManifest as they are
// read.
func (s Stream) CheckSeal(p *Partition, seal Seal) []Problem {
	var problems []Problem
	fault := func(blob, format string, args ...any) {
		problems = append(problems, Problem{Blob: blob, Text: fmt.Sprintf(format, args...)})
	}
	m, base := seal.Manifest, layout.BaseName(seal.Name)
	if m.Lost != "" {
		if len(m.Blobs) > 0 {
			fault(seal.Name, "seals partition %s as lost (%q) but lists %d blobs: a lost partition holds none", p.Label(), m.Lost, len(m.Blobs))
		}
		if m.Records != 0 {
			fault(seal.Name, "seals partition %s as lost (%q) but says it holds %d records", p.Label(), m.Lost, m.Records)
		}
		for _, b := range p.Blobs() {
			fault(b.Name, "the manifest %s seals this partition as lost (%q), yet it holds this part", base, m.Lost)
		}
		return problems
	}
	if records := listedRecords(m); records != m.Records {
		fault(seal.Name, "says the partition holds %d records, its blobs list %d", m.Records, records)
	}
	dir := s.Layout.PartitionDir(s.Tenant, s.Stream.Name, p.Partition)
	have := map[string]bool{}
	for _, b := range p.Blobs() {
		have[b.Name] = true
	}
	listed := map[string]bool{}
	for _, b := range m.Blobs {
		full := dir + b.Name
		listed[full] = true
		e, ok := layout.ParseName(s.Stream.Name, b.Name)
		if !ok || e.Manifest || e.Partition != p.Partition {
			fault(seal.Name, "lists %q, which is not a part of this partition", b.Name)
			continue
		}
		if e.Part.Number != b.Part || e.Part.Format != b.Format {
			fault(seal.Name, "lists %s as part %d in %s, but its name says part %d in %s", b.Name, b.Part, b.Format, e.Part.Number, e.Part.Format)
		}
		if !have[full] {
			fault(full, "missing: listed in the manifest %s", base)
		}
	}
	for _, b := range p.Blobs() {
		if !listed[b.Name] {
			fault(b.Name, "not listed in the manifest %s that seals its partition", base)
		}
	}
	return problems
}

// listedRecords sums the records a manifest lists for each part in the
// part's most faithful listed format, as the job counts them.
func listedRecords(m manifest.Manifest) int64 {
	faithful := map[int]manifest.Blob{}
	for _, b := range m.Blobs {
		cur, seen := faithful[b.Part]
		if !seen || slices.Index(format.All, b.Format) < slices.Index(format.All, cur.Format) {
			faithful[b.Part] = b
		}
	}
	var n int64
	for _, b := range faithful {
		n += b.Records
	}
	return n
}

// MissingParts reports the part numbers p lacks below its highest, each
// named as the blob it should be (in the format and compression of p's
// first part): parts are numbered from p000 without gaps.
func (s Stream) MissingParts(p *Partition) []Problem {
	var problems []Problem
	last := p.NextNumber() - 1
	for n, i := 0, 0; n < last; n++ {
		if p.Parts[i].Number == n {
			i++
			continue
		}
		problems = append(problems, Problem{Blob: s.partName(p, n),
			Text: fmt.Sprintf("missing: partition %s has parts up to p%03d, numbered without gaps, but no p%03d", p.Label(), last, n)})
	}
	return problems
}

// MissingNewest reports the newest parts of p that the job's state counted
// at its last commit (recorded) but p no longer holds. Only unsealed
// partitions with some part have a count that means this (a sealed one's
// parts are in its manifest).
func (s Stream) MissingNewest(p *Partition, recorded int) []Problem {
	have := p.NextNumber()
	if p.Manifest != nil || have == 0 || have >= recorded {
		return nil
	}
	var problems []Problem
	for n := have; n < recorded; n++ {
		problems = append(problems, Problem{Blob: s.partName(p, n),
			Text: fmt.Sprintf("missing: the state counted %d parts of partition %s at its last commit, the archive holds %d", recorded, p.Label(), have)})
	}
	return problems
}

// partName names part n of p like p's first part.
func (s Stream) partName(p *Partition, n int) string {
	like := p.Parts[0].Faithful().Part
	like.Number = n
	return s.Layout.PartName(like)
}

// ReadSmall reads a small blob whole (a manifest), failing with
// archive.ErrTooLarge beyond the size a manifest can have.
func ReadSmall(ctx context.Context, sink archive.Sink, name string) ([]byte, error) {
	rc, err := sink.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > maxManifestSize {
		return nil, archive.TooLarge(name, maxManifestSize)
	}
	return data, nil
}

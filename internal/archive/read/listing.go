package read

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// Stream is one tenant's stream in the archive.
type Stream struct {
	Sink   archive.Sink
	Layout layout.Layout
	Tenant string // config name, as in blob paths
	Stream audit.Stream
	// TenantID is the GUID every blob's tenant_id metadata and every
	// manifest must hold ("": not checked).
	TenantID string
	// Progress counts the stored bytes read by the parts opened (nil: none).
	Progress progress.Meter
}

// Dir is the stream's folder.
func (s Stream) Dir() string { return s.Layout.StreamDir(s.Tenant, s.Stream.Name) }

// Blob is one stored data blob of a part: what its name says and what the
// listing says of it.
type Blob struct {
	layout.Part
	archive.Object
}

// Records is the blob's records metadata; ok is false when it is missing
// or not a count.
func (b Blob) Records() (n int64, ok bool) {
	n, err := strconv.ParseInt(archive.MetaGet(b.Metadata, archive.MetaRecords), 10, 64)
	return n, err == nil && n >= 0
}

// Part is one part of a partition: its blobs, one per format, in fidelity
// order (format.All), so the first is the one its records are read
// from.
type Part struct {
	Number int
	Blobs  []Blob
}

// Faithful is the part's blob in its most faithful format.
func (p Part) Faithful() Blob { return p.Blobs[0] }

// Blob returns the part's blob in format f.
func (p Part) Blob(f string) (Blob, bool) {
	for _, b := range p.Blobs {
		if b.Format == f {
			return b, true
		}
	}
	return Blob{}, false
}

// Partition is what one partition's folder holds, read from a listing: the
// archive is its own index.
type Partition struct {
	audit.Partition
	// Parts by number, ascending.
	Parts []Part
	// Manifest is the partition's seal; nil while it is not sealed.
	Manifest *archive.Object
	// Doubles are blobs of a part and format listed after the one in Parts
	// (a .jsonl beside a .jsonl.gz). They are never read.
	Doubles []Blob
}

// Part returns part n.
func (p *Partition) Part(n int) (Part, bool) {
	for _, pt := range p.Parts {
		if pt.Number == n {
			return pt, true
		}
	}
	return Part{}, false
}

// NextNumber is the number of the partition's next part.
func (p *Partition) NextNumber() int {
	if len(p.Parts) == 0 {
		return 0
	}
	return p.Parts[len(p.Parts)-1].Number + 1
}

// HasP000 reports whether the partition has its first part, the proof that
// the job archived it.
func (p *Partition) HasP000() bool { return len(p.Parts) > 0 && p.Parts[0].Number == 0 }

// Records sums each part's records metadata from its most faithful format,
// so a part stored as jsonl and csv counts once. An unreadable count counts
// as zero (reading the blob tells its damage).
func (p *Partition) Records() int64 {
	var sum int64
	for _, pt := range p.Parts {
		n, _ := pt.Faithful().Records()
		sum += n
	}
	return sum
}

// HoldsRows reports whether a part is held only as csv: its records' JSON
// is not archived, and the other versions are compared with its rows
// (Contents.Rows).
func (p *Partition) HoldsRows() bool {
	for _, pt := range p.Parts {
		if pt.Faithful().Format == format.CSV {
			return true
		}
	}
	return false
}

// Blobs lists every blob of every part (the doubles excepted), part by
// part.
func (p *Partition) Blobs() []Blob {
	var out []Blob
	for _, pt := range p.Parts {
		out = append(out, pt.Blobs...)
	}
	return out
}

func (p *Partition) add(e layout.Entry, o archive.Object) {
	if e.Manifest {
		p.Manifest = &o
		return
	}
	b := Blob{Part: e.Part, Object: o}
	// Parts are listed in order of their numbers, so the last is the likely one.
	for i := len(p.Parts) - 1; i >= 0; i-- {
		if p.Parts[i].Number != b.Number {
			continue
		}
		if _, dup := p.Parts[i].Blob(b.Format); dup {
			p.Doubles = append(p.Doubles, b)
			return
		}
		p.Parts[i].Blobs = append(p.Parts[i].Blobs, b)
		return
	}
	p.Parts = append(p.Parts, Part{Number: b.Number, Blobs: []Blob{b}})
}

// sort puts the parts in number order and each part's blobs in fidelity
// order (the listing is lexical: p1000 comes before p999, csv before jsonl).
func (p *Partition) sort() *Partition {
	slices.SortFunc(p.Parts, func(a, b Part) int { return a.Number - b.Number })
	for _, pt := range p.Parts {
		slices.SortFunc(pt.Blobs, func(a, b Blob) int {
			return slices.Index(format.All, a.Format) - slices.Index(format.All, b.Format)
		})
	}
	return p
}

// Walk lists the blobs below prefix (the stream's folder, a day's or a
// partition's) and calls fn with each partition once its last blob is
// listed, in listing order. The names of a partition share a prefix, so its
// blobs are listed one after the other and one partition's listing is held
// at a time. stray, when not nil, is called with every blob that is not a
// part or manifest of the stream where the archiver puts it, and why; such
// a blob is in no partition.
func (s Stream) Walk(ctx context.Context, prefix string, fn func(*Partition) error, stray func(o archive.Object, problem string)) error {
	if stray == nil {
		stray = func(archive.Object, string) {}
	}
	var open *Partition
	err := s.Sink.List(ctx, prefix, func(o archive.Object) error {
		e, ok := layout.ParseName(s.Stream.Name, layout.BaseName(o.Name))
		if !ok {
			stray(o, fmt.Sprintf("unknown file in the %s folder: not a part or manifest of this stream", s.Stream.Name))
			return nil
		}
		want := s.Layout.ManifestName(s.Tenant, s.Stream.Name, e.Partition)
		if !e.Manifest {
			e.Part.Tenant = s.Tenant
			want = s.Layout.PartName(e.Part)
		}
		if o.Name != want {
			stray(o, "misplaced: a blob of this name belongs at "+want)
			return nil
		}
		if open != nil && open.Partition != e.Partition {
			if err := fn(open.sort()); err != nil {
				return err
			}
			open = nil
		}
		if open == nil {
			open = &Partition{Partition: e.Partition}
		}
		open.add(e, o)
		return nil
	})
	if err == nil && open != nil {
		err = fn(open.sort())
	}
	return err
}

// Partition lists what partition p holds (nothing at all is a Partition
// without parts or manifest).
func (s Stream) Partition(ctx context.Context, p audit.Partition) (*Partition, error) {
	out := &Partition{Partition: p}
	dir := s.Layout.PartitionDir(s.Tenant, s.Stream.Name, p)
	err := s.Walk(ctx, dir, func(q *Partition) error {
		if q.Partition == p {
			out = q
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return out, nil
}

// Day lists the folder of the UTC day that holds day, which holds the day's
// partition or its hour partitions (one listing serves up to 24), and
// returns the partitions found by label.
func (s Stream) Day(ctx context.Context, day time.Time) (map[string]*Partition, error) {
	out := map[string]*Partition{}
	d := audit.Day.Of(day)
	dir := s.Layout.PartitionDir(s.Tenant, s.Stream.Name, d)
	err := s.Walk(ctx, dir, func(p *Partition) error {
		if audit.Day.Of(p.Start) == d {
			out[p.Label()] = p
		}
		return nil
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return out, nil
}

// errFound ends a listing early.
var errFound = errors.New("found")

// First returns the stream's oldest partition that match accepts (nil when
// there is none): the listing is in time order, so it stops there.
func (s Stream) First(ctx context.Context, match func(*Partition) bool) (*Partition, error) {
	var first *Partition
	err := s.Walk(ctx, s.Dir(), func(p *Partition) error {
		if !match(p) {
			return nil
		}
		first = p
		return errFound
	}, nil)
	if err != nil && !errors.Is(err, errFound) {
		return nil, fmt.Errorf("list %s: %w", s.Dir(), err)
	}
	return first, nil
}

// Package export is the portal's "Download", from the archive, checked: the
// records of one tenant and stream whose event time lies in [From, To),
// optionally filtered by an OData expression (the syntax of Graph's
// $filter), written as csv, json or jsonl exactly as the archive's own
// encoders write them.
//
// An export is evidence, so it checks what it covers before it writes a
// byte (coverage.go): against the job's state, every partition of the range
// below the watermark has its p000 (but those in spans Graph no longer
// served, which are known losses) and none lies before the archive's start;
// a gap fails the export with ErrGap unless AllowGaps. It checks what it
// reads as it reads (package read): every part against its metadata (the
// SHA-256 of its stored bytes, its records) and, when the partition is
// sealed, against its manifest; a damaged or missing part always fails the
// export with an error wrapping read.ErrDamaged that names the blob.
//
// The output streams, so damage found at the end of a part (its SHA-256 is
// known only then) comes after that part's records were written: Run then
// returns the error and w holds an export that must be discarded. ToFile
// writes to a temporary file that replaces the output only when the whole
// export is sound.
//
// Partitions are read oldest first; within a partition the parts are
// merged in (time, id) order, each part read in its most faithful stored
// format. A record archived in several versions (a revision in a later
// part) is exported in its latest version (read.Version.Latest: the highest
// part's, and inside one part the last) unless AllVersions is set.
// Everything streams: memory does not grow with the range or the partition
// size.
//
// A part stored only as csv no longer has its records' JSON: it can still be
// exported as csv (its rows are copied as stored), but not as json or jsonl,
// nor filtered with Where; Run returns ErrNeedsJSON then.
package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/progress"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// ErrNeedsJSON: the export needs the records' JSON (json or jsonl output, or
// a Where filter), but a part is stored only as csv.
var ErrNeedsJSON = errors.New("the records' JSON is not archived")

// Options say what to export.
type Options struct {
	Sink      archive.Sink
	Layout    layout.Layout
	Tenant    string // config name, as in blob paths
	TenantID  string // the GUID every part's metadata must hold ("": not checked)
	Stream    audit.Stream
	Partition audit.Granularity // the stream's configured partitioning
	// State is the job's state, what the range's coverage is checked
	// against; nil when the job has none (then the archive is judged
	// against itself: see Coverage.StateMissing).
	State *state.State
	// From and To bound the event time: [From, To). Both are required.
	From, To time.Time
	Format   string // jsonl | json | csv
	// Where keeps only the records it matches (nil: all). See Compile.
	Where *odata.Matcher
	// AllVersions exports every distinct version of a record instead of
	// only the latest.
	AllVersions bool
	// AllowGaps exports what the archive holds of a range with gaps
	// instead of failing with ErrGap; Stats.Coverage lists them.
	AllowGaps bool
	// Columns is the csv view: ColumnsGraph (the archive's columns, one per
	// Graph property, docs/csv-columns.md) or ColumnsPortal (the Entra
	// portal's download, docs/portal-columns.md). Only with Format csv.
	Columns string
	// RawCSV writes csv cells as they are; otherwise a cell a spreadsheet
	// would run as a formula is neutralised (format.NeutralizeFormula).
	RawCSV bool
	// BOM starts csv output with a UTF-8 byte order mark, which Excel needs
	// to read UTF-8.
	BOM bool
	// Progress counts partitions and stored bytes read (nil: none).
	Progress progress.Meter
}

// Stats describe an export.
type Stats struct {
	Partitions int   // partitions in the range (with blobs or not)
	Blobs      int   // blobs read
	Read       int64 // records read in range
	Records    int64 // records written
	Bytes      int64 // stored bytes read
	// Coverage is what the archive holds of the range.
	Coverage Coverage
	// Overflowed counts the records that held more than the portal's
	// columns show (directory audits: targets, modified properties,
	// additional details); only with Columns portal.
	Overflowed int64
}

// Run writes the export to w. On error, w may hold a partial export,
// except for a usage error, ErrGap and ErrNeedsJSON, which are found
// before anything is written.
func Run(ctx context.Context, o Options, w io.Writer) (Stats, error) {
	var stats Stats
	if o.From.IsZero() || o.To.IsZero() || !o.From.Before(o.To) {
		return stats, fmt.Errorf("export needs a time range with from before to, got %s", audit.Window{From: o.From, To: o.To})
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	if _, err := format.NewWriter(o.Format, o.Stream, io.Discard); err != nil {
		return stats, err
	}
	if err := o.CheckCSVOptions(); err != nil {
		return stats, err
	}
	e := &exporter{o: o, stats: &stats, window: audit.Window{From: o.From, To: o.To},
		s: read.Stream{Sink: o.Sink, Layout: o.Layout, Tenant: o.Tenant, Stream: o.Stream, TenantID: o.TenantID, Progress: o.Progress}}
	if err := e.cover(ctx); err != nil {
		return stats, err
	}
	enc, err := newEncoder(o, w)
	if err != nil {
		return stats, err
	}
	e.enc = enc
	partitions := o.Partition.Partitions(e.window)
	o.Progress.SetTotal(len(partitions))
	err = e.eachPartition(ctx, func(p audit.Partition, held *read.Partition) error {
		if held != nil {
			if err := e.partition(ctx, held); err != nil {
				return err
			}
		}
		stats.Partitions++
		o.Progress.Add(1)
		return nil
	})
	if err != nil {
		return stats, err
	}
	err = enc.Close()
	if enc.portal != nil {
		stats.Overflowed = enc.portal.Overflowed()
	}
	return stats, err
}

type exporter struct {
	o       Options
	s       read.Stream
	enc     *encoder
	stats   *Stats
	window  audit.Window
	key     audit.Record  // the (time, id) of the record being exported
	written read.Contents // its versions written (AllVersions)
}

// eachPartition lists the range day by day (a day's folder holds its day
// partition or its hour partitions, so one listing serves up to 24) and
// calls fn with each partition of the range, oldest first, and what the
// archive holds of it (nil: nothing). Run goes over the range twice, to
// check coverage before writing anything and then to export: two listings
// a day, deliberately, so that memory stays one day's listing whatever the
// range (listing is cheap next to reading the parts).
func (e *exporter) eachPartition(ctx context.Context, fn func(audit.Partition, *read.Partition) error) error {
	var (
		day     audit.Partition
		listing map[string]*read.Partition
	)
	for _, p := range e.o.Partition.Partitions(e.window) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d := audit.Day.Of(p.Start); listing == nil || d != day {
			day = d
			var err error
			if listing, err = e.s.Day(ctx, d.Start); err != nil {
				return err
			}
		}
		if err := fn(p, listing[p.Label()]); err != nil {
			return err
		}
	}
	return nil
}

// partition exports the records in range of one partition: its parts
// merged, each checked against its metadata and, if the partition is
// sealed, its manifest.
func (e *exporter) partition(ctx context.Context, p *read.Partition) error {
	var seal read.Seal
	if p.Manifest != nil {
		var problems []read.Problem
		var err error
		if seal, problems, err = e.s.ReadSeal(ctx, p); err != nil {
			return err
		}
		if seal.Decoded {
			problems = append(problems, e.s.CheckSeal(p, seal)...)
		}
		if len(problems) > 0 {
			return problems[0].Err()
		}
	}
	m, err := e.s.OpenParts(ctx, p)
	if err != nil {
		return err
	}
	defer m.Close()
	for {
		v, err := m.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, read.ErrDamaged) {
			return damage(m, err)
		}
		if err != nil {
			return err
		}
		if !e.window.Contains(v.Time) {
			continue
		}
		e.stats.Read++
		if err := e.emit(&v); err != nil {
			return err
		}
	}
	checks, err := m.Finish()
	if err != nil {
		return err
	}
	for _, c := range checks {
		e.stats.Blobs++
		e.stats.Bytes += c.Size
		if err := c.Err(); err != nil {
			return err
		}
		if p.Manifest == nil || seal.Manifest.Lost != "" {
			continue
		}
		if entry, ok := seal.Entry(layout.BaseName(c.Blob.Name)); ok {
			if problems := c.AgainstManifest(entry); len(problems) > 0 {
				return &read.DamageError{Blob: c.Blob.Name, Problems: problems}
			}
		}
	}
	return nil
}

// emit exports one version of a record: the latest unless AllVersions,
// then each distinct one once, in part order.
func (e *exporter) emit(v *read.Version) error {
	if !e.o.AllVersions && !v.Latest {
		return nil
	}
	if e.o.Where != nil {
		ok, err := e.o.Where.Match(v.Raw)
		if err != nil {
			return fmt.Errorf("record %q at %s: %w", v.ID, audit.FormatTime(v.Time), err)
		}
		if !ok {
			return nil
		}
	}
	out, err := e.enc.content(v)
	if err != nil {
		return err
	}
	if e.o.AllVersions {
		if audit.CompareKey(&v.Record, &e.key) != 0 {
			e.key = audit.Record{Time: v.Time, ID: v.ID}
			e.written.Reset()
		}
		// Compared as written: two versions may differ only where the
		// output does not show it (a csv column list).
		as := read.Version{Record: audit.Record{Time: v.Time, ID: v.ID, Raw: out}, Format: e.o.Format}
		if _, dup, err := e.written.Seen(&as); err != nil || dup {
			return err
		}
	}
	if err := e.enc.write(v, out); err != nil {
		return err
	}
	e.stats.Records++
	return nil
}

// damage is the whole story of a part found damaged while it was read:
// what broke the reading, and what its stored bytes say against its
// metadata (a byte flipped in a gzip part fails to parse and to hash).
func damage(m *read.Merge, found error) error {
	var de *read.DamageError
	if !errors.As(found, &de) {
		return found
	}
	checks, err := m.Finish()
	if err != nil {
		return err
	}
	for _, c := range checks {
		if c.Blob.Name == de.Blob {
			return c.Err()
		}
	}
	return found
}

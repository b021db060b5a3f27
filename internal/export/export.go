// Package export is the portal's "Download", from the archive: the records of
// one tenant and stream whose event time lies in [From, To), optionally
// filtered by an OData expression (the syntax of Graph's $filter), written as
// csv, json or jsonl exactly as the archive's own encoders write them.
//
// Partitions are read oldest first; within a partition the parts are merged
// in (time, id) order, each part read in its most faithful stored format. A
// record archived in several versions (a revision in a later part) is
// exported in its latest version, from the highest part, unless AllVersions
// is set. Everything streams: memory does not grow with the range or the
// partition size.
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
	"slices"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/progress"
)

// ErrNeedsJSON: the export needs the records' JSON (json or jsonl output, or
// a Where filter), but a part is stored only as csv.
var ErrNeedsJSON = errors.New("the records' JSON is not archived")

// Options say what to export.
type Options struct {
	Sink      archive.Sink
	Layout    layout.Layout
	Tenant    string // config name, as in blob paths
	Stream    audit.Stream
	Partition audit.Granularity // the stream's configured partitioning
	// From and To bound the event time: [From, To). Both are required.
	From, To time.Time
	Format   string // jsonl | json | csv
	// Where keeps only the records it matches (nil: all). See Compile.
	Where *odata.Matcher
	// AllVersions exports every distinct version of a record instead of
	// only the latest.
	AllVersions bool
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
}

// Run writes the export to w. On error, w may hold a partial export.
func Run(ctx context.Context, o Options, w io.Writer) (Stats, error) {
	var stats Stats
	if o.From.IsZero() || o.To.IsZero() || !o.From.Before(o.To) {
		return stats, fmt.Errorf("export needs a time range with from before to, got %s", audit.Window{From: o.From, To: o.To})
	}
	if o.Progress == nil {
		o.Progress = progress.Discard
	}
	enc, err := newEncoder(o.Format, o.Stream, w)
	if err != nil {
		return stats, err
	}
	e := &exporter{o: o, enc: enc, stats: &stats, window: audit.Window{From: o.From, To: o.To}}
	partitions := o.Partition.Partitions(e.window)
	o.Progress.SetTotal(len(partitions))
	var (
		day     audit.Partition
		listing map[time.Time]*partition
	)
	for _, p := range partitions {
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		if d := audit.Day.Of(p.Start); listing == nil || d != day {
			day = d
			if listing, err = e.list(ctx, day); err != nil {
				return stats, err
			}
		}
		if g := listing[p.Start]; g != nil {
			if err := e.partition(ctx, g); err != nil {
				return stats, err
			}
		}
		stats.Partitions++
		o.Progress.Add(1)
	}
	return stats, enc.Close()
}

type exporter struct {
	o      Options
	enc    *encoder
	stats  *Stats
	window audit.Window
}

// partition is the listing of one partition: part number → format → blob.
type partition struct {
	p     audit.Partition
	parts map[int]map[string]stored
}

type stored struct {
	part layout.Part
	name string
}

// list reads the folder of one UTC day, which holds a day partition or the
// folders of its hour partitions: one listing serves up to 24 partitions.
func (e *exporter) list(ctx context.Context, day audit.Partition) (map[time.Time]*partition, error) {
	out := map[time.Time]*partition{}
	dir := e.o.Layout.PartitionDir(e.o.Tenant, e.o.Stream.Name, day)
	err := e.o.Sink.List(ctx, dir, func(obj archive.Object) error {
		en, ok := layout.ParseName(e.o.Stream.Name, layout.BaseName(obj.Name))
		if !ok || en.Manifest || en.Partition.Granularity != e.o.Partition {
			return nil
		}
		en.Part.Tenant = e.o.Tenant
		if obj.Name != e.o.Layout.PartName(en.Part) {
			return nil // not where the archiver puts it; verify reports it
		}
		g := out[en.Partition.Start]
		if g == nil {
			g = &partition{p: en.Partition, parts: map[int]map[string]stored{}}
			out[en.Partition.Start] = g
		}
		if g.parts[en.Part.Number] == nil {
			g.parts[en.Part.Number] = map[string]stored{}
		}
		g.parts[en.Part.Number][en.Part.Format] = stored{part: en.Part, name: obj.Name}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return out, nil
}

// member is a record met in the merge, with the part it came from.
type member struct {
	rec     audit.Record
	part    int
	fromCSV bool // rec.Raw is a csv row
}

// partition merges the parts of g and exports the records in range.
func (e *exporter) partition(ctx context.Context, g *partition) (err error) {
	numbers := make([]int, 0, len(g.parts))
	for n := range g.parts {
		numbers = append(numbers, n)
	}
	slices.Sort(numbers)
	cursors := make([]*cursor, 0, len(numbers))
	defer func() {
		for _, c := range cursors {
			c.close()
		}
	}()
	for _, n := range numbers {
		src := faithful(g.parts[n])
		if src.part.Format == format.CSV && (e.o.Format != format.CSV || e.o.Where != nil) {
			return fmt.Errorf("%s: %w: the part is stored only as csv, so it can be exported as csv only and without --where", src.name, ErrNeedsJSON)
		}
		c, err := e.open(ctx, src)
		if err != nil {
			return err
		}
		cursors = append(cursors, c)
		if err := c.advance(); err != nil {
			return err
		}
	}
	var same []member
	for {
		var least *cursor
		for _, c := range cursors {
			if c.ok && (least == nil || audit.CompareKey(&c.cur, &least.cur) < 0) {
				least = c
			}
		}
		if least == nil {
			return nil
		}
		key := audit.Record{Time: least.cur.Time, ID: least.cur.ID}
		same = same[:0]
		for _, c := range cursors {
			for c.ok && audit.CompareKey(&c.cur, &key) == 0 {
				same = append(same, member{rec: c.cur, part: c.part, fromCSV: c.fromCSV})
				if err := c.advance(); err != nil {
					return err
				}
			}
		}
		if !e.window.Contains(key.Time) {
			continue
		}
		e.stats.Read += int64(len(same))
		if err := e.emit(same); err != nil {
			return err
		}
	}
}

// emit exports the versions of one record (same time and id), in part
// order: the last one (the highest part's) unless AllVersions, then each
// distinct one once.
func (e *exporter) emit(versions []member) error {
	if !e.o.AllVersions {
		versions = versions[len(versions)-1:]
	}
	var written [][]byte
	for i := range versions {
		m := &versions[i]
		if e.o.Where != nil {
			ok, err := e.o.Where.Match(m.rec.Raw)
			if err != nil {
				return fmt.Errorf("record %q at %s: %w", m.rec.ID, audit.FormatTime(m.rec.Time), err)
			}
			if !ok {
				continue
			}
		}
		out, err := e.enc.content(m)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(written, func(w []byte) bool { return string(w) == string(out) }) {
			continue
		}
		if err := e.enc.write(m, out); err != nil {
			return err
		}
		written = append(written, out)
		e.stats.Records++
	}
	return nil
}

// faithful returns the part's blob in the most faithful format present.
func faithful(byFormat map[string]stored) stored {
	for _, f := range layout.Formats {
		if s, ok := byFormat[f]; ok {
			return s
		}
	}
	panic("export: part without blobs")
}

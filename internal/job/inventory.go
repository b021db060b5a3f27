package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// inventory is what a partition already holds, read from a listing of its
// folder: the archive is its own index.
type inventory struct {
	// parts maps part number → format → stored blob.
	parts    map[int]map[string]storedBlob
	manifest *archive.Object
}

type storedBlob struct {
	part layout.Part
	obj  archive.Object
}

func (j *Job) inventory(ctx context.Context, p audit.Partition) (*inventory, error) {
	inv := &inventory{parts: map[int]map[string]storedBlob{}}
	dir := j.deps.Layout.PartitionDir(j.set.Tenant, j.set.Stream.Name, p)
	err := j.deps.Sink.List(ctx, dir, func(o archive.Object) error {
		e, ok := layout.ParseName(j.set.Stream.Name, layout.BaseName(o.Name))
		if !ok || e.Partition != p {
			return nil
		}
		if e.Manifest {
			inv.manifest = &o
			return nil
		}
		byFormat := inv.parts[e.Part.Number]
		if byFormat == nil {
			byFormat = map[string]storedBlob{}
			inv.parts[e.Part.Number] = byFormat
		}
		byFormat[e.Part.Format] = storedBlob{part: e.Part, obj: o}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	return inv, nil
}

// numbers lists the part numbers in order.
func (inv *inventory) numbers() []int {
	ns := make([]int, 0, len(inv.parts))
	for n := range inv.parts {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// next is the number of the next part to write.
func (inv *inventory) next() int {
	ns := inv.numbers()
	if len(ns) == 0 {
		return 0
	}
	return ns[len(ns)-1] + 1
}

// faithful returns the part's blob in the most faithful format present.
func (inv *inventory) faithful(n int) (storedBlob, bool) {
	for _, f := range layout.Formats {
		if b, ok := inv.parts[n][f]; ok {
			return b, true
		}
	}
	return storedBlob{}, false
}

// lossless reports whether a format keeps Graph's bytes (so every other
// format can be regenerated from it).
func lossless(f string) bool { return f == layout.FormatJSONL || f == layout.FormatJSON }

// openBlob opens a stored part for reading records back.
func (j *Job) openBlob(ctx context.Context, b storedBlob) (format.Reader, func(), error) {
	rc, err := j.deps.Sink.Open(ctx, b.obj.Name)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", b.obj.Name, err)
	}
	closers := []io.Closer{rc}
	var r io.Reader = rc
	if b.part.Gzip {
		zr, err := format.NewGzipReader(rc)
		if err != nil {
			rc.Close()
			return nil, nil, fmt.Errorf("read %s: %w", b.obj.Name, err)
		}
		closers = append(closers, zr)
		r = zr
	}
	rd, err := format.NewReader(b.part.Format, j.set.Stream, r)
	if err != nil {
		rc.Close()
		return nil, nil, fmt.Errorf("read %s: %w", b.obj.Name, err)
	}
	return rd, func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i].Close()
		}
	}, nil
}

// repair completes parts that lack a configured format — a crash between
// the uploads of two formats, or a format added to the config — by
// regenerating them from the part's lossless blob.
func (pt *partition) repair(ctx context.Context) (int, error) {
	j, inv := pt.j, pt.inv
	written := 0
	for _, n := range inv.numbers() {
		var missing []string
		for _, f := range j.formats {
			if _, ok := inv.parts[n][f]; !ok {
				missing = append(missing, f)
			}
		}
		if len(missing) == 0 {
			continue
		}
		src, _ := inv.faithful(n)
		if !lossless(src.part.Format) {
			j.log.Warn("part lacks configured formats and has no lossless blob to regenerate them from",
				zap.String("blob", src.obj.Name), zap.Strings("missing", missing))
			continue
		}
		if err := pt.regenerate(ctx, n, src, missing); err != nil {
			return written, fmt.Errorf("complete part %s: %w", src.obj.Name, err)
		}
		written += len(missing)
		j.log.Info("completed part with missing formats", zap.String("blob", src.obj.Name), zap.Strings("formats", missing))
	}
	return written, nil
}

func (pt *partition) regenerate(ctx context.Context, n int, src storedBlob, formats []string) error {
	rd, done, err := pt.j.openBlob(ctx, src)
	if err != nil {
		return err
	}
	defer done()
	pw, err := pt.j.newPartEncoder(formats)
	if err != nil {
		return err
	}
	defer pw.discard()
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src.obj.Name, err)
		}
		if err := pw.Write(&rec); err != nil {
			return err
		}
	}
	_, _, err = pw.commit(ctx, pt.p, n)
	return err
}

// cursor reads one stored part back, in (time, id) order.
type cursor struct {
	format string
	rd     format.Reader
	done   func()
	cur    audit.Record
	ok     bool
	err    error
}

func (c *cursor) advance() {
	rec, err := c.rd.Next()
	switch {
	case errors.Is(err, io.EOF):
		c.ok = false
	case err != nil:
		c.ok, c.err = false, err
	default:
		c.cur, c.ok = rec, true
	}
}

// openCursors opens every part of the partition in its most faithful
// format.
func (pt *partition) openCursors(ctx context.Context) ([]*cursor, error) {
	var cs []*cursor
	for _, n := range pt.inv.numbers() {
		b, _ := pt.inv.faithful(n)
		rd, done, err := pt.j.openBlob(ctx, b)
		if err != nil {
			return cs, err
		}
		c := &cursor{format: b.part.Format, rd: rd, done: done}
		c.advance()
		if c.err != nil {
			return append(cs, c), fmt.Errorf("read %s: %w", b.obj.Name, c.err)
		}
		cs = append(cs, c)
	}
	return cs, nil
}

func closeCursors(cs []*cursor) {
	for _, c := range cs {
		c.done()
	}
}

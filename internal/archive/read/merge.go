package read

import (
	"context"
	"errors"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Version is one stored record met in a merge.
type Version struct {
	audit.Record
	// Part is the number of the part it was read from and Format that
	// part's format (a csv row's Raw is not JSON).
	Part   int
	Format string
	// Reader is the part's reader.
	Reader *PartReader
	// Latest: no later version of the record (same time and id) follows,
	// so this is the record's latest version: the highest part's and,
	// inside that part, the last in the part's order (DESIGN.md: export
	// writes the latest version of each record).
	Latest bool
}

// Merge reads the parts of one partition together in (time, id) order,
// the k-way merge of their stored orders: versions of one record come in
// part order and, inside a part, in stored order. It holds one record per
// part. Not safe for concurrent use.
type Merge struct {
	cursors []cursor
	started bool
	pending error // damage found when a part advanced, returned next
}

type cursor struct {
	r   *PartReader
	cur audit.Record
	ok  bool
}

// NewMerge merges readers, given in part order (ascending numbers).
func NewMerge(readers []*PartReader) *Merge {
	m := &Merge{cursors: make([]cursor, len(readers))}
	for i, r := range readers {
		m.cursors[i].r = r
	}
	return m
}

// advance moves cursor c on. Damage ends the part's reading and is kept to
// be returned by the next call of Next; a storage failure is returned.
func (m *Merge) advance(c *cursor) error {
	rec, err := c.r.Next()
	switch {
	case err == nil:
		c.cur, c.ok = rec, true
		return nil
	case errors.Is(err, io.EOF):
		c.ok = false
		return nil
	case errors.Is(err, ErrDamaged):
		c.ok = false
		if m.pending == nil {
			m.pending = err
		}
		return nil
	}
	c.ok = false
	return err
}

func (m *Merge) start() error {
	if m.started {
		return nil
	}
	m.started = true
	for i := range m.cursors {
		if err := m.advance(&m.cursors[i]); err != nil {
			return err
		}
	}
	return nil
}

// least is the cursor with the smallest (time, id), the lowest part first.
func (m *Merge) least() *cursor {
	var least *cursor
	for i := range m.cursors {
		c := &m.cursors[i]
		if c.ok && (least == nil || audit.CompareKey(&c.cur, &least.cur) < 0) {
			least = c
		}
	}
	return least
}

// Peek returns the record Next returns next, without taking it; ok is
// false after the last. Its errors are those of Next.
func (m *Merge) Peek() (rec audit.Record, ok bool, err error) {
	if err := m.start(); err != nil {
		return audit.Record{}, false, err
	}
	if err := m.takePending(); err != nil {
		return audit.Record{}, false, err
	}
	if c := m.least(); c != nil {
		return c.cur, true, nil
	}
	return audit.Record{}, false, nil
}

func (m *Merge) takePending() error {
	err := m.pending
	m.pending = nil
	return err
}

// Next returns the next version, or io.EOF after the last. A part found
// damaged returns its *DamageError once and is left out from then on, so a
// caller that reports damage and goes on (verify) can call Next again; a
// failing read of the storage is returned as it is.
func (m *Merge) Next() (Version, error) {
	if err := m.start(); err != nil {
		return Version{}, err
	}
	if err := m.takePending(); err != nil {
		return Version{}, err
	}
	c := m.least()
	if c == nil {
		return Version{}, io.EOF
	}
	b := c.r.Blob()
	v := Version{Record: c.cur, Part: b.Number, Format: b.Format, Reader: c.r}
	if err := m.advance(c); err != nil {
		return Version{}, err
	}
	next := m.least()
	v.Latest = next == nil || audit.CompareKey(&next.cur, &v.Record) != 0
	return v, nil
}

// Finish finishes every part's reader (see PartReader.Finish) and returns
// their checks in part order; it stops at the first failing read.
func (m *Merge) Finish() ([]Check, error) {
	checks := make([]Check, 0, len(m.cursors))
	var err error
	for _, c := range m.cursors {
		if err != nil {
			c.r.Close()
			continue
		}
		var ch Check
		if ch, err = c.r.Finish(); err == nil {
			checks = append(checks, ch)
		}
	}
	return checks, err
}

// Close closes every part's reader without checking it.
func (m *Merge) Close() {
	for _, c := range m.cursors {
		c.r.Close()
	}
}

// OpenParts opens the most faithful blob of every part of p and merges
// them.
func (s Stream) OpenParts(ctx context.Context, p *Partition) (*Merge, error) {
	readers := make([]*PartReader, 0, len(p.Parts))
	for _, pt := range p.Parts {
		r, err := s.Open(ctx, pt.Faithful())
		if err != nil {
			for _, r := range readers {
				r.Close()
			}
			return nil, err
		}
		readers = append(readers, r)
	}
	return NewMerge(readers), nil
}

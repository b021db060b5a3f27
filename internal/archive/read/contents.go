package read

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
)

// MaxVersions bounds the distinct versions of one record (same event time
// and id) that are compared with each other. The job never stores more (it
// quarantines further ones), so more in the archive is damage: a part
// holding more records of one time and id is damaged (PartReader.Next). The
// bound keeps a comparison's memory constant and its time linear however
// many times a part holds one record.
const MaxVersions = 1000

// ErrTooManyVersions: a record has more than MaxVersions distinct versions.
var ErrTooManyVersions = fmt.Errorf("more than %d versions of one record", MaxVersions)

type digest [sha256.Size]byte

// seenRow says which versions a csv row was met as, and the part of the
// first csv version and of the first JSON version whose row it is.
type seenRow struct {
	csv, json         bool
	csvPart, jsonPart int
}

// Contents is the set of distinct contents met among the versions of one
// record, each compared in the form it is stored in: two JSON versions
// (jsonl, json) by their bytes, two csv rows by theirs, and a JSON version
// with a csv row by the row a csv writer makes of it. That is the one rule
// by which the job drops a re-delivery as a duplicate and verify reports a
// record stored twice. The zero value is ready; set Stream and Rows before
// the first Seen. Not safe for concurrent use.
type Contents struct {
	Stream audit.Stream
	// Rows: some versions are csv rows (a part stored only as csv, or new
	// records stored only as csv), so every JSON version is also compared
	// as its row.
	Rows bool
	json map[digest]int // the part of the first version
	rows map[digest]seenRow
	n    int
}

// Reset empties the set for the next record.
func (c *Contents) Reset() {
	clear(c.json)
	clear(c.rows)
	c.n = 0
}

// Len is the number of distinct contents in the set.
func (c *Contents) Len() int { return c.n }

// Seen reports whether v has the content of a version added before (and
// the part that version came from), else adds it. A content beyond
// MaxVersions is not added: ErrTooManyVersions.
func (c *Contents) Seen(v *Version) (earlier int, seen bool, err error) {
	if c.json == nil {
		c.json, c.rows = map[digest]int{}, map[digest]seenRow{}
	}
	var jd, rd digest
	hasRow := false
	if v.Format == format.CSV {
		rd, hasRow = sha256.Sum256(v.Raw), true
		if r := c.rows[rd]; r.csv {
			return r.csvPart, true, nil
		} else if r.json {
			return r.jsonPart, true, nil
		}
	} else {
		jd = sha256.Sum256(v.Raw)
		if p, ok := c.json[jd]; ok {
			return p, true, nil
		}
		if c.Rows {
			// A record a csv writer cannot encode has no row to compare.
			if row, err := format.ContentKey(format.CSV, c.Stream, &v.Record); err == nil {
				rd, hasRow = sha256.Sum256(row), true
				if r := c.rows[rd]; r.csv {
					return r.csvPart, true, nil
				}
			} else if !errors.Is(err, format.ErrBadRecord) {
				return 0, false, err
			}
		}
	}
	if c.n >= MaxVersions {
		return 0, false, fmt.Errorf("record %q at %s: %w", v.ID, audit.FormatTime(v.Time), ErrTooManyVersions)
	}
	c.n++
	if v.Format != format.CSV {
		c.json[jd] = v.Part
	}
	if hasRow {
		r := c.rows[rd]
		switch {
		case v.Format == format.CSV && !r.csv:
			r.csv, r.csvPart = true, v.Part
		case v.Format != format.CSV && !r.json:
			r.json, r.jsonPart = true, v.Part
		}
		c.rows[rd] = r
	}
	return 0, false, nil
}

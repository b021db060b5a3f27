package format

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// CSV as written here: RFC 4180, UTF-8 without BOM, a header row of column
// names, CRLF after every row. A field is quoted when it contains a comma,
// quote, CR or LF or starts or ends with a space or tab; quotes inside are
// doubled. Field bytes are never rewritten otherwise (encoding/csv's Writer
// with UseCRLF would turn LF inside fields into CRLF).
//
// Cells: a JSON string gives its decoded text; a number the literal exactly as
// Graph wrote it; true and false themselves; null or absent an empty cell; an
// object or array its compact JSON exactly as in the record. A dotted column
// whose intermediate value is missing, null or not an object is empty. When a
// key repeats in an object the last one wins, as in encoding/json.

const crlf = "\r\n"

type csvWriter struct {
	bw     *bufio.Writer
	enc    *rowEncoder
	header bool // header written
	row    []byte
	err    error
}

func newCSVWriter(st audit.Stream, w io.Writer) (*csvWriter, error) {
	enc, err := newRowEncoder(st)
	if err != nil {
		return nil, err
	}
	return &csvWriter{bw: bufio.NewWriterSize(w, bufSize), enc: enc}, nil
}

func (w *csvWriter) writeHeader() {
	if !w.header {
		w.header = true
		w.bw.Write(w.enc.schema.header)
		w.bw.WriteString(crlf)
	}
}

func (w *csvWriter) Write(rec *audit.Record) error {
	if w.err != nil {
		return w.err
	}
	row, err := w.enc.encode(w.row[:0], rec)
	if err != nil {
		return err
	}
	w.row = row
	w.writeHeader()
	w.bw.Write(row)
	_, w.err = w.bw.WriteString(crlf)
	return w.err
}

func (w *csvWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.writeHeader()
	w.err = w.bw.Flush()
	return w.err
}

// rowEncoder turns records into CSV rows. It reuses its scratch space, so one
// encoder serves one goroutine.
type rowEncoder struct {
	schema *schema
	cells  [][]byte // per column: the cell text, nil when empty
	arena  []byte   // decoded strings the cells point into
}

func newRowEncoder(st audit.Stream) (*rowEncoder, error) {
	s, err := schemaFor(st)
	if err != nil {
		return nil, err
	}
	return &rowEncoder{schema: s, cells: make([][]byte, len(s.columns))}, nil
}

// encode appends rec's row (without terminator) to dst. It refuses a record
// whose id or time cell would not read back as rec.ID and rec.Time, so a
// written row always yields the record it came from.
func (e *rowEncoder) encode(dst []byte, rec *audit.Record) ([]byte, error) {
	if err := checkObject(rec.Raw); err != nil {
		return dst, err
	}
	clear(e.cells)
	e.arena = e.arena[:0]
	end, err := e.walk(rec.Raw, 0, e.schema.root)
	if err == nil && end != len(rec.Raw) {
		err = fmt.Errorf("data after the object at offset %d", end)
	}
	if err != nil {
		return dst, fmt.Errorf("%w: %w", ErrBadRecord, err)
	}
	if id := e.cells[e.schema.idCol]; string(id) != rec.ID {
		return dst, fmt.Errorf("%w: id cell %q differs from the record's id %q", ErrBadRecord, id, rec.ID)
	}
	tcell := e.cells[e.schema.timeCol]
	if t, err := audit.ParseTime(string(tcell)); err != nil || !t.Equal(rec.Time) {
		return dst, fmt.Errorf("%w: time cell %q does not give the record's time %s", ErrBadRecord, tcell, audit.FormatTime(rec.Time))
	}
	for i, c := range e.cells {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendField(dst, c)
	}
	return dst, nil
}

// walk reads the object starting at b[i] and fills the cells of the columns
// below n. It returns the offset just past the object.
func (e *rowEncoder) walk(b []byte, i int, n *node) (int, error) {
	i++ // '{'
	for first := true; ; first = false {
		i = skipSpace(b, i)
		if i >= len(b) {
			return 0, errors.New("unterminated object")
		}
		if b[i] == '}' {
			return i + 1, nil
		}
		if !first {
			if b[i] != ',' {
				return 0, fmt.Errorf("want ',' or '}' at offset %d, got %q", i, b[i])
			}
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] != '"' {
			return 0, fmt.Errorf("want a member name at offset %d", i)
		}
		kEnd, esc, err := scanString(b, i)
		if err != nil {
			return 0, err
		}
		key := b[i+1 : kEnd-1]
		if esc {
			key = appendUnquoted(nil, b[i:kEnd])
		}
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return 0, fmt.Errorf("want ':' at offset %d", i)
		}
		i = skipSpace(b, i+1)
		child := n.children[string(key)]
		if child == nil {
			if i, err = scanValue(b, i); err != nil {
				return 0, err
			}
			continue
		}
		// A repeated key replaces everything the earlier one set.
		for _, c := range child.leaves {
			e.cells[c] = nil
		}
		switch {
		case child.col >= 0:
			end, err := scanValue(b, i)
			if err != nil {
				return 0, err
			}
			e.cells[child.col] = e.cell(b[i:end])
			i = end
		case i < len(b) && b[i] == '{':
			if i, err = e.walk(b, i, child); err != nil {
				return 0, err
			}
		default: // null, or not an object where the columns expect one
			if i, err = scanValue(b, i); err != nil {
				return 0, err
			}
		}
	}
}

// cell returns the text of one JSON value.
func (e *rowEncoder) cell(v []byte) []byte {
	switch v[0] {
	case '"':
		if len(v) == 2 {
			return nil
		}
		if plainString(v) {
			return v[1 : len(v)-1]
		}
		start := len(e.arena)
		e.arena = appendUnquoted(e.arena, v)
		return e.arena[start:len(e.arena):len(e.arena)]
	case 'n':
		if string(v) == "null" {
			return nil
		}
	}
	return v
}

// appendField appends one CSV field, quoted when needed.
func appendField(dst, f []byte) []byte {
	if !needsQuotes(f) {
		return append(dst, f...)
	}
	dst = append(dst, '"')
	for _, c := range f {
		if c == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

func needsQuotes(f []byte) bool {
	if len(f) == 0 {
		return false
	}
	if isSpace(f[0]) || isSpace(f[len(f)-1]) {
		return true
	}
	for _, c := range f {
		switch c {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' }

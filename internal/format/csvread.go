package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// csvReader reads what csvWriter writes, byte-exact. encoding/csv's Reader
// would drop a CR before LF inside quoted fields, so rows are split here: a
// row ends at the first CRLF outside quotes, which is where the count of
// quote characters since the row's start is even.
type csvReader struct {
	br     *bufio.Reader
	schema *schema
	stream string
	row    int      // rows read, header included
	fields [][]byte // scratch: the current row's field values
	header bool     // header checked
}

func newCSVReader(st audit.Stream, r io.Reader) (*csvReader, error) {
	s, err := schemaFor(st)
	if err != nil {
		return nil, err
	}
	return &csvReader{br: bufio.NewReaderSize(r, bufSize), schema: s, stream: st.Name}, nil
}

func (r *csvReader) Next() (audit.Record, error) {
	if !r.header {
		h, err := r.readRow()
		if errors.Is(err, io.EOF) {
			return audit.Record{}, fmt.Errorf("%w: csv part is empty (want at least the header row)", ErrMalformed)
		}
		if err != nil {
			return audit.Record{}, err
		}
		if !bytes.Equal(h, r.schema.header) {
			return audit.Record{}, fmt.Errorf("%w: csv header is not the %s column list (wrong stream, or not a csv part): %.80q", ErrMalformed, r.stream, h)
		}
		r.header = true
	}
	raw, err := r.readRow()
	if err != nil {
		return audit.Record{}, err
	}
	if err := r.split(raw); err != nil {
		return audit.Record{}, err
	}
	if len(r.fields) != len(r.schema.columns) {
		return audit.Record{}, fmt.Errorf("%w: csv row %d has %d fields, want %d", ErrMalformed, r.row, len(r.fields), len(r.schema.columns))
	}
	rec := audit.Record{ID: string(r.fields[r.schema.idCol]), Raw: raw}
	tcell := r.fields[r.schema.timeCol]
	rec.Time, err = audit.ParseTime(string(tcell))
	if err != nil {
		return audit.Record{}, fmt.Errorf("csv row %d: %w: %q", r.row, audit.ErrNoTime, tcell)
	}
	return rec, nil
}

// readRow returns the next row's bytes without its CRLF, in a new slice, or
// io.EOF at a clean end.
func (r *csvReader) readRow() ([]byte, error) {
	var row []byte
	quotes := 0
	for {
		chunk, err := r.br.ReadSlice('\n')
		quotes += bytes.Count(chunk, []byte{'"'})
		row = append(row, chunk...)
		if len(row) > maxRecordSize {
			return nil, fmt.Errorf("%w: csv row %d is longer than %d bytes", ErrMalformed, r.row+1, maxRecordSize)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(row) == 0 {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("%w: csv row %d has no line terminator (truncated?)", ErrMalformed, r.row+1)
		case err != nil:
			return nil, err
		}
		if quotes%2 == 1 {
			continue // the LF is inside a quoted field
		}
		r.row++
		if len(row) < 2 || row[len(row)-2] != '\r' {
			return nil, fmt.Errorf("%w: csv row %d ends in LF without CR", ErrMalformed, r.row)
		}
		return row[:len(row)-2], nil
	}
}

// split parses row into r.fields, checking RFC 4180 strictly: quotes only
// around whole fields and doubled inside, no bare CR or LF.
func (r *csvReader) split(row []byte) error {
	r.fields = r.fields[:0]
	i := 0
	for {
		var f []byte
		if i < len(row) && row[i] == '"' {
			var err error
			f, i, err = r.quoted(row, i)
			if err != nil {
				return err
			}
		} else {
			end := i
			for end < len(row) && row[end] != ',' {
				switch row[end] {
				case '"', '\r', '\n':
					return fmt.Errorf("%w: csv row %d: %q in an unquoted field at byte %d", ErrMalformed, r.row, row[end], end)
				}
				end++
			}
			f, i = row[i:end], end
		}
		r.fields = append(r.fields, f)
		if i == len(row) {
			return nil
		}
		i++ // ','
	}
}

// quoted parses the quoted field starting at row[i] == '"' and returns its
// value and the offset after the closing quote.
func (r *csvReader) quoted(row []byte, i int) ([]byte, int, error) {
	var val []byte
	start := i + 1
	for j := start; j < len(row); j++ {
		if row[j] != '"' {
			continue
		}
		if j+1 < len(row) && row[j+1] == '"' {
			val = append(val, row[start:j+1]...)
			start = j + 2
			j++
			continue
		}
		if j+1 < len(row) && row[j+1] != ',' {
			return nil, 0, fmt.Errorf("%w: csv row %d: %q after a closing quote at byte %d", ErrMalformed, r.row, row[j+1], j+1)
		}
		if val == nil {
			return row[start:j], j + 1, nil
		}
		return append(val, row[start:j]...), j + 1, nil
	}
	return nil, 0, fmt.Errorf("%w: csv row %d: unterminated quoted field at byte %d", ErrMalformed, r.row, i)
}

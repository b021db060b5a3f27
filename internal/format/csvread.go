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
	var err error
	r.fields, err = splitRow(r.fields[:0], row)
	if err != nil {
		return fmt.Errorf("csv row %d: %w", r.row, err)
	}
	return nil
}

// splitRow appends the fields of one CSV row (without its terminator) to
// fields, checking RFC 4180 strictly: quotes only around whole fields and
// doubled inside, no bare CR or LF.
func splitRow(fields [][]byte, row []byte) ([][]byte, error) {
	i := 0
	for {
		var f []byte
		if i < len(row) && row[i] == '"' {
			var err error
			f, i, err = quotedField(row, i)
			if err != nil {
				return fields, err
			}
		} else {
			end := i
			for end < len(row) && row[end] != ',' {
				switch row[end] {
				case '"', '\r', '\n':
					return fields, fmt.Errorf("%w: %q in an unquoted field at byte %d", ErrMalformed, row[end], end)
				}
				end++
			}
			f, i = row[i:end], end
		}
		fields = append(fields, f)
		if i == len(row) {
			return fields, nil
		}
		i++ // ','
	}
}

// quotedField parses the quoted field starting at row[i] == '"' and returns
// its value and the offset after the closing quote.
func quotedField(row []byte, i int) ([]byte, int, error) {
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
			return nil, 0, fmt.Errorf("%w: %q after a closing quote at byte %d", ErrMalformed, row[j+1], j+1)
		}
		if val == nil {
			return row[start:j], j + 1, nil
		}
		return append(val, row[start:j]...), j + 1, nil
	}
	return nil, 0, fmt.Errorf("%w: unterminated quoted field at byte %d", ErrMalformed, i)
}

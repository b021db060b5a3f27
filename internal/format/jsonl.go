package format

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// bufSize is the buffer of writers and readers: large enough that the gzip
// layer below sees big writes, small enough not to matter per part.
const bufSize = 64 << 10

// jsonlWriter writes rec.Raw + "\n" per record and nothing else.
type jsonlWriter struct {
	bw  *bufio.Writer
	err error
}

func newJSONLWriter(w io.Writer) *jsonlWriter {
	return &jsonlWriter{bw: bufio.NewWriterSize(w, bufSize)}
}

func (w *jsonlWriter) Write(rec *audit.Record) error {
	if w.err != nil {
		return w.err
	}
	if err := checkObject(rec.Raw); err != nil {
		return err
	}
	// A line break inside Raw would split the record in two lines.
	if bytes.IndexByte(rec.Raw, '\n') >= 0 {
		return fmt.Errorf("%w: raw JSON contains a line break", ErrBadRecord)
	}
	w.bw.Write(rec.Raw)
	w.err = w.bw.WriteByte('\n')
	return w.err
}

func (w *jsonlWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

// jsonlReader returns one record per line. Every line must end in "\n" (a
// missing final newline means a truncated part) and hold valid JSON.
type jsonlReader struct {
	br        *bufio.Reader
	timeField string
	line      int
}

func newJSONLReader(st audit.Stream, r io.Reader) *jsonlReader {
	return &jsonlReader{br: bufio.NewReaderSize(r, bufSize), timeField: st.TimeField}
}

func (r *jsonlReader) Next() (audit.Record, error) {
	var raw []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		raw = append(raw, chunk...)
		if len(raw) > maxRecordSize {
			return audit.Record{}, fmt.Errorf("%w: jsonl line %d is longer than %d bytes", ErrMalformed, r.line+1, maxRecordSize)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(raw) == 0 {
				return audit.Record{}, io.EOF
			}
			return audit.Record{}, fmt.Errorf("%w: jsonl line %d has no line terminator (truncated?)", ErrMalformed, r.line+1)
		case err != nil:
			return audit.Record{}, fmt.Errorf("jsonl line %d: %w", r.line+1, err)
		}
		r.line++
		return parseRaw(raw[:len(raw)-1], r.timeField, "jsonl line", r.line)
	}
}

// parseRaw validates one stored record and parses its id and time.
func parseRaw(raw []byte, timeField, what string, n int) (audit.Record, error) {
	if !json.Valid(raw) {
		return audit.Record{}, fmt.Errorf("%w: %s %d is not valid JSON", ErrMalformed, what, n)
	}
	rec, err := audit.ParseRecord(raw, timeField)
	if err != nil {
		if errors.Is(err, audit.ErrNoTime) {
			return audit.Record{}, fmt.Errorf("%s %d: %w", what, n, err)
		}
		return audit.Record{}, fmt.Errorf("%w: %s %d: %w", ErrMalformed, what, n, err)
	}
	return rec, nil
}

package format

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// jsonWriter writes "[" + raws joined by "," + "]", without any whitespace.
type jsonWriter struct {
	bw  *bufio.Writer
	n   int
	err error
}

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{bw: bufio.NewWriterSize(w, bufSize)}
}

func (w *jsonWriter) Write(rec *audit.Record) error {
	if w.err != nil {
		return w.err
	}
	if err := checkObject(rec.Raw); err != nil {
		return err
	}
	sep := byte(',')
	if w.n == 0 {
		sep = '['
	}
	w.bw.WriteByte(sep)
	_, w.err = w.bw.Write(rec.Raw)
	w.n++
	return w.err
}

func (w *jsonWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.n == 0 {
		w.bw.WriteByte('[')
	}
	w.bw.WriteByte(']')
	w.err = w.bw.Flush()
	return w.err
}

// jsonReader splits a JSON array into its elements without decoding them,
// streaming: only the current element is held in memory. Each element's bytes
// are returned exactly as stored.
type jsonReader struct {
	br        *bufio.Reader
	timeField string
	n         int   // elements returned so far
	started   bool  // the opening "[" was read
	done      bool  // the closing "]" was read
	offset    int64 // bytes consumed, for error messages
}

func newJSONReader(st audit.Stream, r io.Reader) *jsonReader {
	return &jsonReader{br: bufio.NewReaderSize(r, bufSize), timeField: st.TimeField}
}

func (r *jsonReader) Next() (audit.Record, error) {
	if r.done {
		return audit.Record{}, io.EOF
	}
	c, err := r.readByte()
	if err != nil {
		return audit.Record{}, r.eofIsTruncation(err)
	}
	switch {
	case !r.started:
		r.started = true
		if c != '[' {
			return audit.Record{}, fmt.Errorf("%w: json part does not start with '[' (got %q)", ErrMalformed, c)
		}
		next, err := r.br.Peek(1)
		if err != nil {
			return audit.Record{}, r.eofIsTruncation(err)
		}
		if next[0] == ']' {
			r.discard(1)
			return r.finish()
		}
	case c == ']':
		return r.finish()
	case c != ',':
		return audit.Record{}, fmt.Errorf("%w: json: want ',' or ']' after element %d at offset %d, got %q", ErrMalformed, r.n, r.offset-1, c)
	}
	raw, err := r.element()
	if err != nil {
		return audit.Record{}, err
	}
	r.n++
	return parseRaw(raw, r.timeField, "json element", r.n)
}

func (r *jsonReader) readByte() (byte, error) {
	c, err := r.br.ReadByte()
	if err == nil {
		r.offset++
	}
	return c, err
}

// finish checks that nothing follows the closing bracket.
func (r *jsonReader) finish() (audit.Record, error) {
	r.done = true
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) {
		if err != nil {
			return audit.Record{}, err
		}
		return audit.Record{}, fmt.Errorf("%w: json: data after the closing ']' at offset %d", ErrMalformed, r.offset)
	}
	return audit.Record{}, io.EOF
}

func (r *jsonReader) eofIsTruncation(err error) error {
	if errors.Is(err, io.EOF) {
		if r.offset == 0 {
			return fmt.Errorf("%w: json part is empty (want at least \"[]\")", ErrMalformed)
		}
		return fmt.Errorf("%w: json part ends after %d elements without ']' (truncated?)", ErrMalformed, r.n)
	}
	return err
}

// element reads one JSON object, tracking nesting and strings, and returns
// its bytes. It works on the reader's buffer a chunk at a time rather than a
// byte at a time.
func (r *jsonReader) element() ([]byte, error) {
	start := r.offset
	first, err := r.br.Peek(1)
	if err != nil {
		return nil, r.eofIsTruncation(err)
	}
	if first[0] != '{' {
		return nil, fmt.Errorf("%w: json element %d at offset %d is not an object (starts with %q)", ErrMalformed, r.n+1, start, first[0])
	}
	var (
		out      []byte
		depth    int
		inString bool
		escaped  bool
	)
	for {
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return nil, r.eofIsTruncation(err)
			}
		}
		chunk, _ := r.br.Peek(r.br.Buffered())
		for i, c := range chunk {
			switch {
			case escaped:
				escaped = false
			case inString:
				switch c {
				case '\\':
					escaped = true
				case '"':
					inString = false
				}
			case c == '"':
				inString = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					out = append(out, chunk[:i+1]...)
					r.discard(i + 1)
					return out, nil
				}
			}
		}
		out = append(out, chunk...)
		r.discard(len(chunk))
		if len(out) > maxRecordSize {
			return nil, fmt.Errorf("%w: json element %d is longer than %d bytes", ErrMalformed, r.n+1, maxRecordSize)
		}
	}
}

func (r *jsonReader) discard(n int) {
	r.br.Discard(n)
	r.offset += int64(n)
}

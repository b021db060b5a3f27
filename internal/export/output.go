package export

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/odata"
)

// Compile parses a --where expression for stream st. Graph compares strings
// in $filter without regard to case, except on the provisioning stream,
// whose filters are case-sensitive; the matcher does the same, so a filter
// selects the same records from the archive as from Graph. A syntax error
// is an *odata.SyntaxError (its Caret shows the column), and so is a
// documented property written with the wrong case (status/errorcode).
func Compile(st audit.Stream, where string) (*odata.Matcher, error) {
	e, err := odata.Parse(where)
	if err != nil {
		return nil, err
	}
	if err := checkProperties(st, where, e); err != nil {
		return nil, err
	}
	return odata.Compile(e, odata.Options{CaseInsensitive: st.Name != audit.Provisioning.Name})
}

// ToFile runs the export into the file path, atomically: the export goes to
// a temporary file beside it that replaces path only when complete. A name
// ending in ".gz" is gzip-compressed.
func ToFile(ctx context.Context, o Options, path string) (stats Stats, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return stats, fmt.Errorf("create the output file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	var w io.Writer = bw
	var zw io.WriteCloser
	if strings.HasSuffix(path, ".gz") {
		zw = format.NewGzipWriter(bw)
		w = zw
	}
	if stats, err = Run(ctx, o, w); err != nil {
		return stats, err
	}
	if zw != nil {
		if err = zw.Close(); err != nil {
			return stats, fmt.Errorf("write %s: %w", path, err)
		}
	}
	if err = bw.Flush(); err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		err = tmp.Close()
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return stats, fmt.Errorf("write %s: %w", path, err)
	}
	return stats, nil
}

// encoder writes records in the output format. csv rows are written here,
// not by a format.Writer, so a row read from a csv part can be copied as
// stored; rows of JSON records are format.ContentKey, which is what a csv
// format.Writer writes, so the output is the same either way.
type encoder struct {
	format string
	stream audit.Stream
	bw     *bufio.Writer // csv
	fw     format.Writer // jsonl, json
}

func newEncoder(f string, st audit.Stream, w io.Writer) (*encoder, error) {
	e := &encoder{format: f, stream: st}
	if f != format.CSV {
		fw, err := format.NewWriter(f, st, w)
		if err != nil {
			return nil, err
		}
		e.fw = fw
		return e, nil
	}
	// The header is what a csv writer of the stream writes for no records.
	var header bytes.Buffer
	hw, err := format.NewWriter(format.CSV, st, &header)
	if err == nil {
		err = hw.Close()
	}
	if err != nil {
		return nil, err
	}
	e.bw = bufio.NewWriterSize(w, 64<<10)
	e.bw.Write(header.Bytes())
	return e, nil
}

// content is m as it will be written (without a csv row's terminator).
func (e *encoder) content(m *member) ([]byte, error) {
	if e.format != format.CSV || m.fromCSV {
		return m.rec.Raw, nil
	}
	row, err := format.ContentKey(format.CSV, e.stream, &m.rec)
	if err != nil {
		return nil, fmt.Errorf("record %q at %s: %w", m.rec.ID, audit.FormatTime(m.rec.Time), err)
	}
	return row, nil
}

// write writes m, whose content is out.
func (e *encoder) write(m *member, out []byte) error {
	if e.fw != nil {
		return e.fw.Write(&m.rec)
	}
	e.bw.Write(out)
	_, err := e.bw.WriteString("\r\n")
	return err
}

func (e *encoder) Close() error {
	if e.fw != nil {
		return e.fw.Close()
	}
	return e.bw.Flush()
}

// cursor reads one part back in its stored order, (time, id).
type cursor struct {
	name    string
	part    int
	fromCSV bool
	rd      format.Reader
	closers []io.Closer
	cur     audit.Record
	ok      bool
}

func (e *exporter) open(ctx context.Context, s stored) (*cursor, error) {
	rc, err := e.o.Sink.Open(ctx, s.name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.name, err)
	}
	c := &cursor{name: s.name, part: s.part.Number, fromCSV: s.part.Format == format.CSV, closers: []io.Closer{rc}}
	var r io.Reader = &countingReader{r: rc, e: e}
	if s.part.Gzip {
		zr, err := format.NewGzipReader(r)
		if err != nil {
			c.close()
			return nil, fmt.Errorf("read %s: %w (run verify)", s.name, err)
		}
		c.closers = append(c.closers, zr)
		r = zr
	}
	if c.rd, err = format.NewReader(s.part.Format, e.o.Stream, r); err != nil {
		c.close()
		return nil, err
	}
	e.stats.Blobs++
	return c, nil
}

func (c *cursor) advance() error {
	rec, err := c.rd.Next()
	switch {
	case errors.Is(err, io.EOF):
		c.ok = false
		return nil
	case err != nil:
		c.ok = false
		return fmt.Errorf("read %s: %w (run verify)", c.name, err)
	}
	c.cur, c.ok = rec, true
	return nil
}

func (c *cursor) close() {
	for i := len(c.closers) - 1; i >= 0; i-- {
		c.closers[i].Close()
	}
	c.closers = nil
}

// countingReader counts the stored bytes read, for progress and Stats.
type countingReader struct {
	r io.Reader
	e *exporter
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.e.stats.Bytes += int64(n)
	c.e.o.Progress.AddBytes(int64(n))
	return n, err
}

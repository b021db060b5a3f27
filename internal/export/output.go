package export

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/scratch"
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

// ToFile runs the export into the file path (mode 0600), atomically: the
// export goes to a file that replaces path only when complete and until
// then has no name (scratch.Output, on Linux), so neither a failure nor a
// crash leaves half an export of personal data behind. A name ending in
// ".gz" is gzip-compressed.
func ToFile(ctx context.Context, o Options, path string) (stats Stats, err error) {
	tmp, err := scratch.NewOutput(path)
	if err != nil {
		return stats, fmt.Errorf("create the output file: %w", err)
	}
	defer tmp.Discard() // after Commit: nothing
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
		err = tmp.Commit()
	}
	if err != nil {
		return stats, fmt.Errorf("write %s: %w", path, err)
	}
	return stats, nil
}

// The csv views.
const (
	ColumnsGraph  = "graph"
	ColumnsPortal = "portal"
)

// CheckCSVOptions refuses the csv options with another format, and an
// unknown view.
func (o Options) CheckCSVOptions() error {
	switch {
	case o.Columns != "" && o.Columns != ColumnsGraph && o.Columns != ColumnsPortal:
		return fmt.Errorf("columns %q: want %s or %s", o.Columns, ColumnsGraph, ColumnsPortal)
	case o.Format != format.CSV && (o.Columns == ColumnsPortal || o.RawCSV || o.BOM):
		return fmt.Errorf("the portal's columns, raw cells and a BOM are csv options; the format is %s", o.Format)
	}
	return nil
}

// encoder writes records in the output format. csv rows in the archive's
// columns are written here, not by a format.Writer, so a row read from a
// csv part can be copied as stored; rows of JSON records are
// format.ContentKey, which is what a csv format.Writer writes, so the
// output is the same either way. Unless RawCSV, csv cells a spreadsheet
// would run as formulas are neutralised on the way out.
type encoder struct {
	format  string
	stream  audit.Stream
	bw      *bufio.Writer // csv in the archive's columns
	fw      format.Writer // jsonl, json, csv in the portal's columns
	portal  *format.PortalWriter
	raw     bool
	scratch []byte
}

func newEncoder(o Options, w io.Writer) (*encoder, error) {
	e := &encoder{format: o.Format, stream: o.Stream, raw: o.RawCSV}
	if o.BOM {
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return nil, err
		}
	}
	switch {
	case o.Format == format.CSV && o.Columns == ColumnsPortal:
		var opts []format.PortalOption
		if !o.RawCSV {
			opts = append(opts, format.WithCellFilter(format.NeutralizeFormula))
		}
		pw, err := format.NewPortalWriter(o.Stream, w, opts...)
		if err != nil {
			return nil, err
		}
		e.fw, e.portal = pw, pw
		return e, nil
	case o.Format != format.CSV:
		fw, err := format.NewWriter(o.Format, o.Stream, w)
		if err != nil {
			return nil, err
		}
		e.fw = fw
		return e, nil
	}
	// The header is what a csv writer of the stream writes for no records.
	var header bytes.Buffer
	hw, err := format.NewWriter(format.CSV, o.Stream, &header)
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

// content is v as it will be written (without a csv row's terminator,
// before neutralisation): what tells versions apart.
func (e *encoder) content(v *read.Version) ([]byte, error) {
	if e.format != format.CSV || v.Format == format.CSV || e.portal != nil {
		return v.Raw, nil
	}
	row, err := format.ContentKey(format.CSV, e.stream, &v.Record)
	if err != nil {
		return nil, fmt.Errorf("record %q at %s: %w", v.ID, audit.FormatTime(v.Time), err)
	}
	return row, nil
}

// write writes v, whose content is out.
func (e *encoder) write(v *read.Version, out []byte) error {
	if e.fw != nil {
		return e.fw.Write(&v.Record)
	}
	if !e.raw {
		var err error
		if e.scratch, err = format.NeutralizeRow(e.scratch[:0], out); err != nil {
			return fmt.Errorf("record %q at %s: %w", v.ID, audit.FormatTime(v.Time), err)
		}
		out = e.scratch
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

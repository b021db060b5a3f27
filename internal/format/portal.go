package format

import (
	"bufio"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// The portal view: the columns of the Entra admin center's own CSV download
// (shared/PORTAL-CSV.md), for export --columns portal, so that scripts built
// on the portal's files read the archive's export unchanged. Unlike the csv
// format it is a view, not a stored format: cells are derived (Location,
// Status, the MFA columns, numbered audit targets), there is no Reader, and a
// record may show less than it holds (docs/portal-columns.md says what).
//
// The file is RFC 4180 as the csv format writes it: UTF-8 without BOM, CRLF
// after every row, a field quoted when it contains a comma, quote, CR or LF
// or starts or ends with a space or tab. The header is the portal's, in its
// order, with its quirks ("Application ID " and "Resource ID " end in a
// space, so they are quoted; "Autonomous system  number" has two spaces;
// "Incoming token type" appears twice).

// PortalColumn is one column of a stream's portal view.
type PortalColumn struct {
	// Name is the header text exactly as the portal writes it.
	Name string
	// Source is where the cell comes from: a Graph property path such as
	// "deviceDetail/browser", or a sentence saying how it is derived.
	Source string
}

// CellFilter rewrites the text of one data cell before it is quoted, e.g. to
// neutralise text a spreadsheet would run as a formula. It sees every data
// cell exactly once, in column order, and never the header.
type CellFilter func(cell string) string

// PortalOption configures NewPortalWriter.
type PortalOption func(*PortalWriter)

// WithCellFilter passes every data cell through f.
func WithCellFilter(f CellFilter) PortalOption {
	return func(w *PortalWriter) { w.filter = f }
}

// PortalColumns returns the portal view's columns of stream st, in header
// order, or nil for a stream without one. The caller may modify the result.
func PortalColumns(st audit.Stream) []PortalColumn {
	l, ok := portalLayouts[st.Name]
	if !ok {
		return nil
	}
	return l.columns()
}

// PortalWriter writes records as the portal's CSV download of one stream.
// It implements Writer: records are written in the order given, nothing
// reaches the underlying io.Writer for sure before Close, a record refused
// with ErrBadRecord (not a JSON object) leaves the output unchanged, and
// after an error of the underlying io.Writer every call returns it. Not safe
// for concurrent use.
type PortalWriter struct {
	bw         *bufio.Writer
	layout     portalLayout
	filter     CellFilter
	header     bool       // header written
	top        jsonObject // scratch: the members of the record being written
	cells      []string
	row        []byte
	overflowed int64
	err        error
}

var _ Writer = (*PortalWriter)(nil)

// NewPortalWriter returns a writer of stream st's portal view to w. It
// fails with ErrUnknownStream for a stream without one.
func NewPortalWriter(st audit.Stream, w io.Writer, opts ...PortalOption) (*PortalWriter, error) {
	l, ok := portalLayouts[st.Name]
	if !ok {
		return nil, fmt.Errorf("%w %q has no portal columns", ErrUnknownStream, st.Name)
	}
	pw := &PortalWriter{bw: bufio.NewWriterSize(w, bufSize), layout: l}
	for _, o := range opts {
		o(pw)
	}
	return pw, nil
}

// Write appends rec's row.
func (w *PortalWriter) Write(rec *audit.Record) error {
	if w.err != nil {
		return w.err
	}
	if err := checkObject(rec.Raw); err != nil {
		return err
	}
	top, err := appendMembers(w.top[:0], rec.Raw)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadRecord, err)
	}
	w.top = top
	cells, overflow := w.layout.cells(rec, top, w.cells[:0])
	w.cells = cells
	if overflow {
		w.overflowed++
	}
	row := w.row[:0]
	for i, c := range cells {
		if i > 0 {
			row = append(row, ',')
		}
		if w.filter != nil {
			c = w.filter(c)
		}
		row = appendField(row, []byte(c))
	}
	w.row = row
	w.writeHeader()
	w.bw.Write(row)
	_, w.err = w.bw.WriteString(crlf)
	return w.err
}

// Close writes the header if no record was written and flushes. It does not
// close the underlying io.Writer.
func (w *PortalWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	w.writeHeader()
	w.err = w.bw.Flush()
	return w.err
}

// Overflowed returns how many records written so far held more than the
// view has columns for (directory audits: more than 3 targets, 5 modified
// properties of a shown target or 6 additional details). Their rows show
// the first ones; the jsonl parts keep everything, so an exporter can say
// so.
func (w *PortalWriter) Overflowed() int64 { return w.overflowed }

func (w *PortalWriter) writeHeader() {
	if w.header {
		return
	}
	w.header = true
	for i, c := range w.layout.columns() {
		if i > 0 {
			w.bw.WriteByte(',')
		}
		w.bw.Write(appendField(nil, []byte(c.Name)))
	}
	w.bw.WriteString(crlf)
}

// portalLayout is one stream's portal view.
type portalLayout interface {
	columns() []PortalColumn
	// cells appends rec's cells to dst in column order, and reports whether
	// the record held more than the columns show.
	cells(rec *audit.Record, top jsonObject, dst []string) ([]string, bool)
}

// view is a portalLayout over T, the record as one stream's columns read
// it (with what several columns share decoded once).
type view[T any] struct {
	parse    func(rec *audit.Record, top jsonObject) T
	cols     []column[T]
	overflow func(T) bool // nil: a row always shows everything it is meant to
}

type column[T any] struct {
	name, source string
	cell         func(T) string
}

func (l *view[T]) columns() []PortalColumn {
	out := make([]PortalColumn, len(l.cols))
	for i, c := range l.cols {
		out[i] = PortalColumn{Name: c.name, Source: c.source}
	}
	return out
}

func (l *view[T]) cells(rec *audit.Record, top jsonObject, dst []string) ([]string, bool) {
	v := l.parse(rec, top)
	for _, c := range l.cols {
		dst = append(dst, c.cell(v))
	}
	return dst, l.overflow != nil && l.overflow(v)
}

// portalLayouts maps each stream name to its view. The portal downloads
// interactive and non-interactive sign-ins with the same columns.
var portalLayouts = map[string]portalLayout{
	audit.InteractiveSignIns.Name:      userSignIns,
	audit.NonInteractiveSignIns.Name:   userSignIns,
	audit.ServicePrincipalSignIns.Name: servicePrincipalSignInLayout(),
	audit.ManagedIdentitySignIns.Name:  managedIdentitySignInLayout(),
	audit.DirectoryAudits.Name:         directoryAuditLayout(),
	audit.Provisioning.Name:            provisioningLayout(),
}

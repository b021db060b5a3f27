// Package format encodes archived records as the three file formats of the
// contract (DESIGN.md "Formats") and reads them back:
//
//   - jsonl, the canonical lossless format: every record's raw bytes, one per
//     line, exactly as Graph sent them;
//   - json, a JSON array of those same bytes, the shape of the portal's JSON
//     download;
//   - csv, RFC 4180 with a fixed, documented column list per stream (see
//     Columns and docs/csv-columns.md), the shape of the portal's CSV download.
//
// Writers stream: they never hold more than one record, so a part of a million
// records costs no more memory than a part of one. Readers stream the same
// way and return each record's bytes exactly as stored, so the job can
// deduplicate new records against archived ones by comparing digests of
// ContentKey with digests of what a Reader returns. Compression (gzip) is a
// separate layer: NewGzipWriter and NewGzipReader wrap the byte stream.
package format

import (
	"errors"
	"fmt"
	"io"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// The formats, spelled as in config, blob names and metadata: the one
// home of their names.
const (
	JSONL = "jsonl"
	JSON  = "json"
	CSV   = "csv"
)

// All lists the formats in the order of fidelity: a part is read back from
// the first one present (jsonl and json keep Graph's bytes; csv does not).
var All = []string{JSONL, JSON, CSV}

// Sentinel errors.
var (
	// ErrUnknownFormat: the format is not one of JSONL, JSON, CSV.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrUnknownStream: the stream has no CSV column list.
	ErrUnknownStream = errors.New("unknown stream")
	// ErrBadRecord: a Writer refused a record it cannot store faithfully
	// (empty, not a JSON object, a line break in jsonl, or an id or time the
	// CSV row could not give back).
	ErrBadRecord = errors.New("record cannot be encoded")
	// ErrMalformed: a Reader met bytes that are not what a Writer of that
	// format writes (wrong format, truncated or damaged part).
	ErrMalformed = errors.New("malformed part")
)

// Writer encodes one part. Records arrive already sorted; a Writer never
// reorders, drops or alters them. A Writer buffers: nothing is guaranteed to
// reach the underlying io.Writer before Close. A record refused with
// ErrBadRecord leaves the part unchanged and the Writer usable; after any
// other error (from the underlying io.Writer) every later call returns it.
// Not safe for concurrent use.
type Writer interface {
	// Write appends one record.
	Write(rec *audit.Record) error
	// Close writes what the format needs at its end (json "]", the CSV
	// header of a part without rows) and flushes. It does not close the
	// underlying io.Writer.
	Close() error
}

// Reader decodes one part written by a Writer of the same format and stream
// (the uncompressed bytes). Not safe for concurrent use.
type Reader interface {
	// Next returns the next record, or io.EOF after the last one. Raw is the
	// record's stored bytes (for csv, the row without its line terminator), so
	// Raw equals ContentKey of the record that was written. ID and Time are
	// parsed: by audit.ParseRecord for jsonl and json, from the id and time
	// columns for csv. Errors wrap ErrMalformed (or audit.ErrNoTime).
	Next() (audit.Record, error)
}

// NewWriter returns a Writer of format for stream st that writes to w.
func NewWriter(format string, st audit.Stream, w io.Writer) (Writer, error) {
	switch format {
	case JSONL:
		return newJSONLWriter(w), nil
	case JSON:
		return newJSONWriter(w), nil
	case CSV:
		return newCSVWriter(st, w)
	}
	return nil, fmt.Errorf("%w %q (want %s, %s or %s)", ErrUnknownFormat, format, JSONL, JSON, CSV)
}

// NewReader returns a Reader of format for stream st that reads from r.
func NewReader(format string, st audit.Stream, r io.Reader) (Reader, error) {
	switch format {
	case JSONL:
		return newJSONLReader(st, r), nil
	case JSON:
		return newJSONReader(st, r), nil
	case CSV:
		return newCSVReader(st, r)
	}
	return nil, fmt.Errorf("%w %q (want %s, %s or %s)", ErrUnknownFormat, format, JSONL, JSON, CSV)
}

// ContentKey returns the bytes that identify rec's content as stored in
// format: rec.Raw for jsonl and json, the CSV row exactly as a csv Writer
// encodes it (without the line terminator) for csv. For every record written
// by a Writer and read back by a Reader of the same format and stream,
// Reader's Raw equals ContentKey of the original record, so a digest of either
// side identifies the same content. The result may share rec.Raw.
func ContentKey(format string, st audit.Stream, rec *audit.Record) ([]byte, error) {
	switch format {
	case JSONL, JSON:
		return rec.Raw, nil
	case CSV:
		enc, err := newRowEncoder(st)
		if err != nil {
			return nil, err
		}
		return enc.encode(nil, rec)
	}
	return nil, fmt.Errorf("%w %q (want %s, %s or %s)", ErrUnknownFormat, format, JSONL, JSON, CSV)
}

// maxRecordSize bounds what a Reader holds for one record, so a damaged or
// foreign file fails instead of being read into memory whole. Graph records
// are kilobytes; the largest seen are well under a megabyte.
const maxRecordSize = 64 << 20

// checkObject is the cheap sanity check every Writer makes: Raw must look
// like one compact JSON object. Full validation is the Reader's job; the
// writer sits on the hot path and its input was parsed from Graph's page.
func checkObject(raw []byte) error {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return fmt.Errorf("%w: not a JSON object", ErrBadRecord)
	}
	return nil
}

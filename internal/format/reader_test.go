package format

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// readErr reads the whole part and returns the first error other than EOF.
func readErr(format string, st audit.Stream, data string) error {
	r, err := NewReader(format, st, strings.NewReader(data))
	if err != nil {
		return err
	}
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestReaderRejectsGarbage(t *testing.T) {
	st := audit.DirectoryAudits
	const rec = `{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}`
	header := string(schemas[st.Name].header)
	row := `a,2026-11-27T03:00:00Z` + strings.Repeat(",", len(Columns(st))-2)
	tests := []struct {
		name, format, data string
		want               error  // errors.Is target
		msg                string // substring of the message
	}{
		{"jsonl no terminator", JSONL, rec, ErrMalformed, "no line terminator"},
		{"jsonl truncated record", JSONL, rec + "\n" + rec[:20], ErrMalformed, "line 2"},
		{"jsonl not JSON", JSONL, "hello world\n", ErrMalformed, "not valid JSON"},
		{"jsonl empty line", JSONL, rec + "\n\n", ErrMalformed, "line 2"},
		{"jsonl broken inside", JSONL, `{"id":"a","activityDateTime":"2026-11-27T03:00:00Z","x":[}` + "\n", ErrMalformed, "not valid JSON"},
		{"jsonl array not object", JSONL, "[1,2]\n", ErrMalformed, "not a JSON object"},
		{"jsonl no time", JSONL, `{"id":"a"}` + "\n", audit.ErrNoTime, "line 1"},
		{"jsonl bad time", JSONL, `{"id":"a","activityDateTime":"yesterday"}` + "\n", audit.ErrNoTime, "line 1"},
		{"json empty file", JSON, "", ErrMalformed, "empty"},
		{"json not an array", JSON, rec, ErrMalformed, "does not start with '['"},
		{"json truncated", JSON, "[" + rec, ErrMalformed, "without ']'"},
		{"json truncated element", JSON, "[" + rec[:30], ErrMalformed, "truncated"},
		{"json bad separator", JSON, "[" + rec + ";" + rec + "]", ErrMalformed, "want ',' or ']'"},
		{"json trailing data", JSON, "[" + rec + "]x", ErrMalformed, "after the closing"},
		{"json element not object", JSON, `[1]`, ErrMalformed, "not an object"},
		{"json element invalid", JSON, `[{"id":"a","x":[}]`, ErrMalformed, "not valid JSON"},
		{"json whitespace", JSON, "[ " + rec + "]", ErrMalformed, "not an object"},
		{"csv empty file", CSV, "", ErrMalformed, "empty"},
		{"csv wrong header", CSV, "id,createdDateTime\r\n", ErrMalformed, "header"},
		{"csv jsonl instead", CSV, rec + "\n", ErrMalformed, "row 1 ends in LF without CR"},
		{"csv header of other stream", CSV, string(schemas[audit.Provisioning.Name].header) + "\r\n", ErrMalformed, "header"},
		{"csv LF only", CSV, header + "\n", ErrMalformed, "without CR"},
		{"csv no terminator", CSV, header + "\r\n" + row, ErrMalformed, "no line terminator"},
		{"csv too few fields", CSV, header + "\r\na,2026-11-27T03:00:00Z\r\n", ErrMalformed, "fields"},
		{"csv too many fields", CSV, header + "\r\n" + row + ",x\r\n", ErrMalformed, "fields"},
		{"csv quote in unquoted field", CSV, header + "\r\n" + `a"b` + row[1:] + "\"\r\n", ErrMalformed, "unquoted field"},
		{"csv text after closing quote", CSV, header + "\r\n" + `"a"b` + row[1:] + "\r\n", ErrMalformed, "after a closing quote"},
		{"csv unterminated quote", CSV, header + "\r\n\"a" + row[1:] + "\r\n", ErrMalformed, "no line terminator"},
		{"csv bare CR", CSV, header + "\r\n" + "a\rb" + row[1:] + "\r\n", ErrMalformed, "unquoted field"},
		{"csv bad time", CSV, header + "\r\n" + "a,never" + strings.Repeat(",", len(Columns(st))-2) + "\r\n", audit.ErrNoTime, "row 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := readErr(tt.format, st, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.msg)
			}
		})
	}
}

// TestReaderAcceptsWhatWriterWrites covers the accepting side of the cases
// above, so a reader that rejects everything fails.
func TestReaderAcceptsWhatWriterWrites(t *testing.T) {
	st := audit.DirectoryAudits
	const rec = `{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}`
	header := string(schemas[st.Name].header)
	row := `a,2026-11-27T03:00:00Z` + strings.Repeat(",", len(Columns(st))-2)
	for _, tt := range []struct{ format, data string }{
		{JSONL, rec + "\n" + rec + "\n"},
		{JSON, "[" + rec + "," + rec + "]"},
		{CSV, header + "\r\n" + row + "\r\n" + `"a",2026-11-27T03:00:00Z` + row[len("a,2026-11-27T03:00:00Z"):] + "\r\n"},
	} {
		if err := readErr(tt.format, st, tt.data); err != nil {
			t.Errorf("%s: %v", tt.format, err)
		}
	}
}

// TestCSVReaderKeepsBytes checks the reader's row splitting where
// encoding/csv would alter data: CR before LF inside quotes, a quoted field
// holding just CRLF, doubled quotes.
func TestCSVReaderKeepsBytes(t *testing.T) {
	st := audit.DirectoryAudits
	rec := audit.Record{ID: "a\"b\r\nc", Raw: []byte(`{"id":"a\"b\r\nc","activityDateTime":"2026-11-27T03:00:00.1234567Z","activityDisplayName":"\r\n","category":"\"\"","result":",\r"}`)}
	var err error
	if rec.Time, err = audit.ParseTime("2026-11-27T03:00:00.1234567Z"); err != nil {
		t.Fatal(err)
	}
	part := encode(t, CSV, st, []audit.Record{rec, rec})
	got := decodeAll(t, CSV, st, bytes.NewReader(part))
	if len(got) != 2 {
		t.Fatalf("read %d records, want 2", len(got))
	}
	for i := range got {
		checkReadBack(t, CSV, st, &rec, &got[i])
	}
	// Columns: id, activityDateTime, activityDisplayName, category,
	// operationType, result, then the empty rest.
	wantRow := "\"a\"\"b\r\nc\",2026-11-27T03:00:00.1234567Z,\"\r\n\",\"\"\"\"\"\",,\",\r\"" + strings.Repeat(",", len(Columns(st))-6)
	if string(got[0].Raw) != wantRow {
		t.Errorf("row = %q, want %q", got[0].Raw, wantRow)
	}
}

// TestReadersStreamLongRecords reads records longer than the readers'
// buffer, where chunked scanning has to carry state across refills.
func TestReadersStreamLongRecords(t *testing.T) {
	st := audit.DirectoryAudits
	long := strings.Repeat(`x\"{[,`, 3*bufSize/5)
	raw := `{"id":"long","activityDateTime":"2026-11-27T03:00:00Z","resultReason":"` + long + `","targetResources":[{"a":"]}"}]}`
	rec, err := audit.ParseRecord([]byte(raw), st.TimeField)
	if err != nil {
		t.Fatal(err)
	}
	recs := []audit.Record{rec, rec}
	for _, format := range formats {
		got := decodeAll(t, format, st, bytes.NewReader(encode(t, format, st, recs)))
		if len(got) != 2 {
			t.Fatalf("%s: read %d records, want 2", format, len(got))
		}
		for i := range got {
			checkReadBack(t, format, st, &rec, &got[i])
		}
	}
}

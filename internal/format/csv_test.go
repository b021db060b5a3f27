package format

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestCSVCells pins the cell rules on single records of directory-audits
// (columns id, activityDateTime, activityDisplayName, category, …).
func TestCSVCells(t *testing.T) {
	const head = `{"id":"a1","activityDateTime":"2026-11-27T03:00:00Z",`
	cellOf := func(t *testing.T, raw, column string) string {
		t.Helper()
		rec, err := audit.ParseRecord([]byte(raw), audit.DirectoryAudits.TimeField)
		if err != nil {
			t.Fatal(err)
		}
		row, err := ContentKey(CSV, audit.DirectoryAudits, &rec)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := csv.NewReader(bytes.NewReader(row)).Read()
		if err != nil {
			t.Fatalf("row %q: %v", row, err)
		}
		for i, c := range Columns(audit.DirectoryAudits) {
			if c.Name == column {
				return fields[i]
			}
		}
		t.Fatalf("no column %s", column)
		return ""
	}
	tests := []struct {
		name, raw, column, want string
	}{
		{"string", head + `"category":"UserManagement"}`, "category", "UserManagement"},
		{"escapes decoded", head + `"category":"a\"b\\c\/d\n\t\u00e9"}`, "category", "a\"b\\c/d\n\té"},
		{"surrogate pair", head + `"category":"\ud83d\ude00"}`, "category", "😀"},
		{"lone surrogate", head + `"category":"x\ud83dy"}`, "category", "x\uFFFDy"},
		{"html escapes", head + `"category":"\u003cb\u003e \u0026 <i>"}`, "category", "<b> & <i>"},
		{"raw unicode", head + `"category":"Zoë 日本 🎉"}`, "category", "Zoë 日本 🎉"},
		{"big integer literal", head + `"category":12345678901234567890}`, "category", "12345678901234567890"},
		{"float literal kept", head + `"category":1.0}`, "category", "1.0"},
		{"exponent literal kept", head + `"category":-3E-07}`, "category", "-3E-07"},
		{"true", head + `"category":true}`, "category", "true"},
		{"false", head + `"category":false}`, "category", "false"},
		{"null", head + `"category":null}`, "category", ""},
		{"absent", head + `"result":"success"}`, "category", ""},
		{"empty string", head + `"category":""}`, "category", ""},
		{"object as JSON", head + `"category":{"b":1, "a":[2]}}`, "category", `{"b":1, "a":[2]}`},
		{"array as JSON", head + `"targetResources":[{"id":"x","Type":"User"}]}`, "targetResources", `[{"id":"x","Type":"User"}]`},
		{"nested", head + `"initiatedBy":{"user":{"userPrincipalName":"u@c.com"}}}`, "initiatedBy.user.userPrincipalName", "u@c.com"},
		{"nested null parent", head + `"initiatedBy":{"user":null}}`, "initiatedBy.user.userPrincipalName", ""},
		{"nested array parent", head + `"initiatedBy":[{"user":{"userPrincipalName":"u"}}]}`, "initiatedBy.user.userPrincipalName", ""},
		{"nested string parent", head + `"initiatedBy":"system"}`, "initiatedBy.user.userPrincipalName", ""},
		{"duplicate key last wins", head + `"category":"first","category":"last"}`, "category", "last"},
		{"duplicate object replaced whole", head + `"initiatedBy":{"user":{"id":"1","displayName":"A"}},"initiatedBy":{"user":{"id":"2"}}}`, "initiatedBy.user.displayName", ""},
		{"duplicate then null", head + `"category":"x","category":null}`, "category", ""},
		{"escaped key", head + `"c\u0061tegory":"via escaped key"}`, "category", "via escaped key"},
		{"keys are case-sensitive", head + `"Category":"upper"}`, "category", ""},
		{"unknown fields skipped", head + `"x":{"category":"no"},"y":[1,{"z":"}"}]}`, "category", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cellOf(t, tt.raw, tt.column); got != tt.want {
				t.Errorf("cell %s = %q, want %q", tt.column, got, tt.want)
			}
		})
	}
}

func TestCSVQuoting(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"line\nbreak", "\"line\nbreak\""},
		{"cr\rlf\r\n", "\"cr\rlf\r\n\""},
		{" lead", `" lead"`},
		{"trail ", `"trail "`},
		{"\ttab", "\"\ttab\""},
		{"in side", "in side"},
		{"tab\tinside", "tab\tinside"},
		{"<>&'", "<>&'"},
	}
	for _, tt := range tests {
		if got := string(appendField(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendField(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestCSVMatchesEncodingJSON checks every cell of every fixture against an
// independent model: encoding/json decodes the record (numbers as literals,
// last key wins) and encoding/csv parses the file.
func TestCSVMatchesEncodingJSON(t *testing.T) {
	for _, st := range audit.Streams {
		recs := loadFixtures(t, st)
		cr := csv.NewReader(bytes.NewReader(encode(t, CSV, st, recs)))
		rows, err := cr.ReadAll()
		if err != nil {
			t.Fatalf("%s: encoding/csv cannot read the part: %v", st.Name, err)
		}
		cols := Columns(st)
		if len(rows) != len(recs)+1 {
			t.Fatalf("%s: %d rows, want header + %d", st.Name, len(rows), len(recs))
		}
		for i, c := range cols {
			if rows[0][i] != c.Name {
				t.Errorf("%s header[%d] = %q, want %q", st.Name, i, rows[0][i], c.Name)
			}
		}
		for r, rec := range recs {
			var doc map[string]any
			dec := json.NewDecoder(bytes.NewReader(rec.Raw))
			dec.UseNumber()
			if err := dec.Decode(&doc); err != nil {
				t.Fatal(err)
			}
			for i, c := range cols {
				got := rows[r+1][i]
				v := lookup(doc, strings.Split(c.Name, "."))
				checkCell(t, st.Name+" "+rec.ID+" "+c.Name, got, v)
			}
		}
	}
}

func lookup(doc map[string]any, path []string) any {
	var v any = doc
	for _, key := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[key]
	}
	return v
}

func checkCell(t *testing.T, where, got string, v any) {
	t.Helper()
	var want string
	switch v := v.(type) {
	case nil:
	case string:
		// encoding/csv turns CRLF inside a quoted field into LF.
		want = strings.ReplaceAll(v, "\r\n", "\n")
	case json.Number:
		want = string(v)
	case bool:
		want = map[bool]string{true: "true", false: "false"}[v]
	default: // object or array: the cell must be the same JSON value
		var cell any
		dec := json.NewDecoder(strings.NewReader(got))
		dec.UseNumber()
		if err := dec.Decode(&cell); err != nil {
			t.Errorf("%s: cell %q is not JSON: %v", where, got, err)
			return
		}
		if !reflect.DeepEqual(cell, v) {
			t.Errorf("%s: cell %q is not the JSON value %v", where, got, v)
		}
		return
	}
	if got != want {
		t.Errorf("%s: cell %q, want %q", where, got, want)
	}
}

// TestUnquoteMatchesEncodingJSON compares the string decoder with
// encoding/json on escapes, surrogates and invalid UTF-8.
func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, q := range []string{
		`""`, `"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u0041\u00e9\u65e5"`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83d\u0041"`, `"\ud83dx"`,
		`"\ud83d\ud83d\ude00"`, "\"bad \xff utf8\"", "\"cut \xe6\x97\"", `"日本 🎉"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(q), &want); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		got := string(appendUnquoted(nil, []byte(q)))
		if got != want {
			t.Errorf("appendUnquoted(%s) = %q, want %q", q, got, want)
		}
		if plainString([]byte(q)) && got != q[1:len(q)-1] {
			t.Errorf("plainString(%s) but text differs", q)
		}
		if !utf8.ValidString(got) {
			t.Errorf("appendUnquoted(%s) is not valid UTF-8", q)
		}
	}
}

func TestWriterRejectsBadRecords(t *testing.T) {
	at := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		formats []string
		rec     audit.Record
	}{
		{"empty", formats, audit.Record{Raw: nil}},
		{"not an object", formats, audit.Record{Raw: []byte(`[1,2]`)}},
		{"line break", []string{JSONL}, audit.Record{Raw: []byte("{\"id\":\"a\",\n\"x\":1}")}},
		{"trailing data", []string{CSV}, audit.Record{ID: "a", Time: at, Raw: []byte(`{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}x}`)}},
		{"unterminated", []string{CSV}, audit.Record{ID: "a", Time: at, Raw: []byte(`{"id":"a","activityDateTime":"2026-11-27T03:00:00Z","x":"}`)}},
		{"id differs", []string{CSV}, audit.Record{ID: "b", Time: at, Raw: []byte(`{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}`)}},
		{"numeric id", []string{CSV}, audit.Record{ID: "", Time: at, Raw: []byte(`{"id":5,"activityDateTime":"2026-11-27T03:00:00Z"}`)}},
		{"time differs", []string{CSV}, audit.Record{ID: "a", Time: at.Add(time.Second), Raw: []byte(`{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}`)}},
		{"no time", []string{CSV}, audit.Record{ID: "a", Raw: []byte(`{"id":"a"}`)}},
	}
	good := audit.Record{ID: "a", Time: at, Raw: []byte(`{"id":"a","activityDateTime":"2026-11-27T03:00:00Z"}`)}
	for _, tt := range tests {
		for _, format := range tt.formats {
			t.Run(tt.name+"."+format, func(t *testing.T) {
				var buf bytes.Buffer
				w, err := NewWriter(format, audit.DirectoryAudits, &buf)
				if err != nil {
					t.Fatal(err)
				}
				if err := w.Write(&tt.rec); !errors.Is(err, ErrBadRecord) {
					t.Fatalf("Write = %v, want ErrBadRecord", err)
				}
				// The refused record left no trace and the writer goes on.
				if err := w.Write(&good); err != nil {
					t.Fatalf("Write after a refused record: %v", err)
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				if want := encode(t, format, audit.DirectoryAudits, []audit.Record{good}); !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("part = %q, want %q", buf.Bytes(), want)
				}
			})
		}
	}
}

// failingWriter fails every write, like a broken upload.
type failingWriter struct{}

var errUpload = errors.New("upload broke")

func (failingWriter) Write([]byte) (int, error) { return 0, errUpload }

func TestWriterErrorIsSticky(t *testing.T) {
	recs := loadFixtures(t, audit.DirectoryAudits)
	for _, format := range formats {
		w, err := NewWriter(format, audit.DirectoryAudits, failingWriter{})
		if err != nil {
			t.Fatal(err)
		}
		// Writes are buffered, so the failure shows at the latest on Close.
		for i := range recs {
			if err := w.Write(&recs[i]); err != nil && !errors.Is(err, errUpload) {
				t.Fatalf("%s: Write = %v", format, err)
			}
		}
		if err := w.Close(); !errors.Is(err, errUpload) {
			t.Errorf("%s: Close = %v, want the upload error", format, err)
		}
		if err := w.Write(&recs[0]); !errors.Is(err, errUpload) {
			t.Errorf("%s: Write after failure = %v, want the upload error", format, err)
		}
	}
}

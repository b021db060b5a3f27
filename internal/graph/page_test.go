package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

var pageWindow = audit.Window{From: mustTimeNoT("2026-11-27T03:00:00Z"), To: mustTimeNoT("2026-11-27T04:00:00Z")}

func mustTimeNoT(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func rawStrings(recs []audit.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.Raw)
	}
	return out
}

func TestDecodePage(t *testing.T) {
	const (
		r1 = `{"id":"1","createdDateTime":"2026-11-27T03:59:59.9999999Z","n":1.0,"s":"a\u00e9\"b","x":[1E+2,-0]}`
		r2 = `{"id":"2","createdDateTime":"2026-11-27T03:00:00Z","nested":{"createdDateTime":"1999-01-01T00:00:00Z"}}`
		// outside the half-open window: exactly at To, and just before From
		atTo     = `{"id":"3","createdDateTime":"2026-11-27T04:00:00Z"}`
		beforeTo = `{"id":"4","createdDateTime":"2026-11-27T02:59:59.999Z"}`
	)
	tests := []struct {
		name     string
		body     string
		want     []string
		wantNext string
		served   int
	}{
		{"value then nextLink",
			`{"@odata.context":"ctx","value":[` + r1 + `,` + atTo + `,` + r2 + `,` + beforeTo + `],"@odata.nextLink":"https://g/v1.0/auditLogs/signins?$skiptoken=x"}`,
			[]string{r1, r2}, "https://g/v1.0/auditLogs/signins?$skiptoken=x", 4},
		{"nextLink first, escaped, other annotations",
			`{"@odata.nextLink":"https:\/\/g\/beta?$filter=a%20eq%20\u0027b\u0027","@odata.count":7,"@odata.deltaLink":null,"value":[` + r2 + `],"@x.y":{"a":[]}}`,
			[]string{r2}, "https://g/beta?$filter=a%20eq%20'b'", 1},
		{"last page", `{"value":[` + r1 + `]}`, []string{r1}, "", 1},
		{"null nextLink is the last page", `{"value":[` + r1 + `],"@odata.nextLink":null}`, []string{r1}, "", 1},
		{"null nextLink first", `{"@odata.nextLink" : null ,"value":[` + r1 + `]}`, []string{r1}, "", 1},
		{"empty", `{"value":[]}`, nil, "", 0},
		{"only outside", `{"value":[` + atTo + `]}`, nil, "", 1},
		{"pretty", prettyPage(t, []string{r1, r2}), []string{r1, r2}, "", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pg, err := decodePage([]byte(tt.body), audit.InteractiveSignIns, pageWindow, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := rawStrings(pg.records); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("records\n got %q\nwant %q", got, tt.want)
			}
			if pg.next != tt.wantNext {
				t.Errorf("next = %q, want %q", pg.next, tt.wantNext)
			}
			if pg.served != tt.served {
				t.Errorf("served = %d, want %d", pg.served, tt.served)
			}
			for _, r := range pg.records {
				var probe struct {
					ID string `json:"id"`
				}
				if err := json.Unmarshal(r.Raw, &probe); err != nil || probe.ID != r.ID {
					t.Errorf("record %s: id %q, raw id %q (%v)", r.Raw, r.ID, probe.ID, err)
				}
			}
		})
	}
}

func prettyPage(t testing.TB, recs []string) string {
	var b bytes.Buffer
	page := `{"@odata.context":"x","value":[` + strings.Join(recs, ",") + `]}`
	if err := json.Indent(&b, []byte(page), "", "    "); err != nil {
		t.Fatal(err)
	}
	return "\n" + b.String() + "\n"
}

func TestDecodePageRecordTimes(t *testing.T) {
	body := `{"value":[{"id":"p","activityDateTime":"2026-11-27T03:15:00.1234567Z"}]}`
	pg, err := decodePage([]byte(body), audit.Provisioning, pageWindow, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := mustTimeNoT("2026-11-27T03:15:00.1234567Z")
	if len(pg.records) != 1 || !pg.records[0].Time.Equal(want) || pg.records[0].ID != "p" {
		t.Fatalf("records = %+v, want one record p at %s", pg.records, want)
	}
}

func TestDecodePageMalformed(t *testing.T) {
	good := `{"value":[{"id":"1","createdDateTime":"2026-11-27T03:00:00Z"}],"@odata.nextLink":"https://g/x"}`
	for i := 0; i < len(good); i++ {
		if _, err := decodePage([]byte(good[:i]), audit.InteractiveSignIns, pageWindow, nil); !errors.Is(err, errMalformed) {
			t.Errorf("truncated to %d bytes: err = %v, want errMalformed", i, err)
		}
	}
	for _, body := range []string{
		`{"@odata.context":"x"}`,                  // no value
		`{"value":{}}`,                            // value not an array
		`{"value":[],"@odata.nextLink":7}`,        // nextLink not a string
		`{"value":[],"@odata.nextLink":nul}`,      // nor null
		`{"value":[]} {"value":[]}`,               // trailing data
		`[{"id":"1"}]`,                            // not an object
		`{"value":[{"id":"1","createdDateTime"`,   // cut inside a record
		`{"value":[{"id":"1",}]`,                  // a record not valid JSON, then cut
		`{"value":[{"id":"1",]}]}`,                // brackets that do not match
		`{"value":[{"id":"1"}}]}`,                 // one bracket too many
		`{"value":[tru]}`,                         // not a record at all
		`{"value":[{"id":"1","x":"a\"}]}`,         // an escaped quote leaves the string open
		`{"value":[{"id":"1"}],"@odata.nextLink"`, // cut after value
		`{"value":[{"id":"x3"},{"id":"4","createdDateTime":"2026-11-27T03:0`, // a reject, then garbled: the page's fault
	} {
		if _, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, nil); !errors.Is(err, errMalformed) {
			t.Errorf("%s: err = %v, want errMalformed", body, err)
		}
	}
}

func TestDecodePageRejects(t *testing.T) {
	const good = `{"id":"ok","createdDateTime":"2026-11-27T03:00:00Z"}`
	tests := []struct {
		name, record, reason string
	}{
		{"no time", `{"id":"abc-123","activityDateTime":"2026-11-27T03:00:00Z"}`, `createdDateTime missing, id "abc-123"`},
		{"null time", `{"createdDateTime":null,"id":"x2"}`, `createdDateTime missing, id "x2"`},
		{"time not a string", `{"createdDateTime":1764212400}`, `createdDateTime not a string`},
		{"bad time", `{"id":"x1","createdDateTime":"yesterday"}`, `createdDateTime not a time: "yesterday", id "x1"`},
		{"non-ASCII time and id", `{"id":"Zürich-` + strings.Repeat("é", 40) + `","createdDateTime":"27.11.2026 03:00 Uhr ☀"}`,
			`createdDateTime not a time: "27.11.2026 03:00 Uhr \u2600", id "Z\u00fcrich-` + strings.Repeat(`\u00e9`, 28) + `\u2026"`},
		{"not an object", `42`, "not a JSON object"},
		{"array", ` [ "a" , 1 ] `, "not a JSON object"},
		{"no id", `{"createdDateTime":"2026-11-27T03:10:00Z"}`, "no id"},
		{"null id", `{"id":null,"createdDateTime":"2026-11-27T03:10:00Z"}`, "no id"},
		{"empty id", `{"id":"","createdDateTime":"2026-11-27T03:10:00Z"}`, "empty id"},
		{"id not a string", `{"id":7,"createdDateTime":"2026-11-27T03:10:00Z"}`, "id not a string"},
		{"last id wins", `{"id":"a","id":{},"createdDateTime":"2026-11-27T03:10:00Z"}`, "id not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"value":[` + good + `, ` + tt.record + ` ,` + good + `],"@odata.nextLink":"https://g/x"}`
			pg, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(pg.records) != 2 || pg.served != 3 || pg.next != "https://g/x" {
				t.Errorf("%d records, served %d, next %q; want the 2 good records of 3 and the nextLink", len(pg.records), pg.served, pg.next)
			}
			if len(pg.rejects) != 1 {
				t.Fatalf("rejects %+v, want one", pg.rejects)
			}
			r := pg.rejects[0]
			var want bytes.Buffer
			if err := json.Compact(&want, []byte(tt.record)); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.Raw, want.Bytes()) {
				t.Errorf("raw %s, want the record compacted: %s", r.Raw, want.Bytes())
			}
			if r.Reason != tt.reason {
				t.Errorf("reason %s, want %s", r.Reason, tt.reason)
			}
			if !isASCII(r.Reason) {
				t.Errorf("reason %q is not ASCII", r.Reason)
			}
		})
	}
}

// TestDecodePageRecordNotJSON: a record served whole whose bytes are not
// valid JSON (Graph's published examples carry trailing commas; GRAPH-NOTES.md
// "Record identity") is asked for once more and, met again, rejected with its
// bytes as served and the rest of the page archived. Without this the page was
// malformed on every attempt and the stream stalled for good on one record.
func TestDecodePageRecordNotJSON(t *testing.T) {
	const good = `{"id":"ok","createdDateTime":"2026-11-27T03:00:00Z"}`
	tests := []struct {
		name, record, reason string
	}{
		{"trailing comma", `{"id":"tc","createdDateTime":"2026-11-27T03:05:00Z",}`,
			"not valid JSON: expected object key at byte 52 of the record"},
		{"trailing comma in a nested array", `{"id":"n","createdDateTime":"2026-11-27T03:05:00Z","a":[1,2,]}`,
			"not valid JSON: unexpected ']' at byte 60 of the record"},
		{"raw tab in a string", "{\"id\":\"c\",\"x\":\"a\tb\"}", "not valid JSON: control character in string at byte 16 of the record"},
		{"unquoted key, brackets inside strings", `{"id":"q","s":"}]{[",key:1}`, "not valid JSON: expected object key at byte 21 of the record"},
		{"non-ASCII where a value belongs", `{"id":"u","v":é}`, `not valid JSON: unexpected '\u00c3' at byte 14 of the record`},
		{"array", `[1,,2]`, "not valid JSON: unexpected ',' at byte 3 of the record"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"value":[` + good + `, ` + tt.record + ` ,` + good + `],"@odata.nextLink":"https://g/x"}`
			seen := sightings{}
			if _, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, seen); !errors.Is(err, errUnconfirmed) || !errors.Is(err, errMalformed) {
				t.Fatalf("first sight: err = %v, want errUnconfirmed (malformed: ask again)", err)
			}
			pg, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, seen)
			if err != nil {
				t.Fatalf("second sight: %v", err)
			}
			if len(pg.records) != 2 || pg.served != 3 || pg.next != "https://g/x" {
				t.Errorf("%d records, served %d, next %q; want the 2 good records of 3 and the nextLink", len(pg.records), pg.served, pg.next)
			}
			if len(pg.rejects) != 1 || len(pg.invalid) != 1 {
				t.Fatalf("rejects %+v, invalid %v; want one of each", pg.rejects, pg.invalid)
			}
			r := pg.rejects[0]
			if string(r.Raw) != tt.record {
				t.Errorf("raw %q, want the record as served: %q", r.Raw, tt.record)
			}
			if got := body[pg.invalid[0][0]:pg.invalid[0][1]]; got != tt.record {
				t.Errorf("invalid span %q, want the record", got)
			}
			if r.Reason != tt.reason {
				t.Errorf("reason %q, want %q", r.Reason, tt.reason)
			}
			if !isASCII(r.Reason) {
				t.Errorf("reason %q is not ASCII", r.Reason)
			}
		})
	}
}

// TestDecodePageGarbledRecord: a record whose brackets close but which
// holds a control byte no JSON writer produces (a front end's stray NUL), or
// which changed since the last attempt, is garbling: malformed, never
// rejected, however often it is met.
func TestDecodePageGarbledRecord(t *testing.T) {
	const good = `{"id":"ok","createdDateTime":"2026-11-27T03:00:00Z"}`
	seen := sightings{}
	for _, rec := range []string{"{\"id\":\"g\",\"x\":\"a\x00b\"}", "{\"id\":\"g\",\x01\"x\":1}"} {
		body := `{"value":[` + good + `,` + rec + `]}`
		for range 3 {
			if _, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, seen); !errors.Is(err, errMalformed) || errors.Is(err, errUnconfirmed) {
				t.Fatalf("%q: err = %v, want malformed", rec, err)
			}
		}
	}
	// Two different records not valid JSON, one per attempt: neither is
	// confirmed.
	for _, rec := range []string{`{"id":"t1",}`, `{"id":"t2",}`} {
		if _, err := decodePage([]byte(`{"value":[`+rec+`]}`), audit.InteractiveSignIns, pageWindow, seen); !errors.Is(err, errUnconfirmed) {
			t.Fatalf("%s met once: err = %v, want errUnconfirmed", rec, err)
		}
	}
	// nil sightings never confirm.
	for range 2 {
		if _, err := decodePage([]byte(`{"value":[{"id":"t3",}]}`), audit.InteractiveSignIns, pageWindow, nil); !errors.Is(err, errUnconfirmed) {
			t.Fatalf("without sightings: err = %v, want errUnconfirmed", err)
		}
	}
}

func TestDecodePageRejectsOwnTheirBytes(t *testing.T) {
	body := []byte(`{"value":[{"id":"a"}]}`)
	pg, err := decodePage(body, audit.InteractiveSignIns, pageWindow, nil)
	if err != nil || len(pg.rejects) != 1 {
		t.Fatalf("rejects %+v, err %v", pg.rejects, err)
	}
	copy(body, strings.Repeat("x", len(body)))
	if string(pg.rejects[0].Raw) != `{"id":"a"}` {
		t.Errorf("reject shares the page's memory: %s", pg.rejects[0].Raw)
	}
}

func TestDecodePageOutsideWithoutIDIsDropped(t *testing.T) {
	body := `{"value":[{"createdDateTime":"2026-11-27T04:00:00Z"},{"id":"","createdDateTime":"2026-11-27T02:00:00Z"}]}`
	pg, err := decodePage([]byte(body), audit.InteractiveSignIns, pageWindow, nil)
	if err != nil || len(pg.records) != 0 || len(pg.rejects) != 0 || pg.served != 2 {
		t.Fatalf("records %d, rejects %+v, served %d, err %v; want both served and dropped: another window owns them",
			len(pg.records), pg.rejects, pg.served, err)
	}
}

// benchPage builds a page of n sign-in-like records of about 2 KB each.
func benchPage(tb testing.TB, n int, pretty bool) []byte {
	var recs []string
	base := mustTimeNoT("2026-11-27T03:59:59Z")
	pad := strings.Repeat(`{"authenticationStepDateTime":"2026-11-27T03:10:00Z","authenticationMethod":"Password","succeeded":true,"authenticationStepResultDetail":"Correct password, \"quoted\" \u00e9"},`, 8)
	for i := 0; i < n; i++ {
		recs = append(recs, fmt.Sprintf(`{"id":"%08d-0000-0000-0000-000000000000","createdDateTime":"%s","userPrincipalName":"user%d@contoso.com",`+
			`"status":{"errorCode":0,"failureReason":null},"location":{"city":"Zürich","geoCoordinates":{"latitude":47.37,"longitude":8.54}},`+
			`"authenticationDetails":[%s{"x":1}],"riskLevelAggregated":"none","conditionalAccessStatus":"success"}`,
			i, base.Add(-time.Duration(i)*time.Second).Format(time.RFC3339Nano), i, pad))
	}
	if pretty {
		return []byte(prettyPage(tb, recs))
	}
	return []byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns","@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=1000&$skiptoken=abc","value":[` +
		strings.Join(recs, ",") + `]}`)
}

func BenchmarkDecodePage(b *testing.B) {
	for _, pretty := range []bool{false, true} {
		b.Run(fmt.Sprintf("pretty=%v", pretty), func(b *testing.B) {
			src := benchPage(b, 1000, pretty)
			buf := make([]byte, len(src))
			b.SetBytes(int64(len(src)))
			b.ReportAllocs()
			for b.Loop() {
				copy(buf, src) // decodePage compacts in place
				pg, err := decodePage(buf, audit.InteractiveSignIns, pageWindow, nil)
				if err != nil || len(pg.records) != 1000 {
					b.Fatalf("%d records, %v", len(pg.records), err)
				}
			}
		})
	}
}

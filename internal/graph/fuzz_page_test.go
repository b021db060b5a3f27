package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// FuzzDecodePage feeds arbitrary bodies to the page decoder and compares it
// with encoding/json: a body it accepts is a valid JSON object with a value
// array; it returns the array's elements in the window, compacted, in order,
// counts all of them, and returns the nextLink; a body encoding/json rejects
// or that is not shaped like a page is malformed (retried); records without
// a time, and those in the window without an id, are rejected (compacted, in
// order, each with an ASCII reason), and so are records served whole (their
// brackets close, no control byte) that are not valid JSON (as served), once
// a second attempt meets them again. Seeds are in
// testdata/fuzz/FuzzDecodePage.
func FuzzDecodePage(f *testing.F) {
	const (
		in  = `{"id":"1","createdDateTime":"2026-11-27T03:59:59.9999999Z","n":1.0}`
		out = `{"id":"2","createdDateTime":"2026-11-27T04:00:00Z"}`
	)
	for _, body := range []string{
		`{"@odata.context":"c","value":[` + in + `,` + out + `],"@odata.nextLink":"https://g/v1.0/x?$skiptoken=a"}`,
		"{\n \"value\" : [ " + in + " ] }", `{"value":[]}`, `{"value":[1]}`, `{"value":{}}`, `[]`, `{"value":[` + in,
		`{"value":[],"value":[` + in + `]}`, `{"@odata.nextLink":"h\u0027","value":[]}`, `{"@odata.nextLink":1,"value":[]}`,
		`{"value":[` + in + `],"@odata.nextLink":null}`,
		`{"value":[{"id":"3","createdDateTime":"2026-11-27T03:00:00Z",},` + in + `,[1,]]}`,
		`{"value":[{"id":"\u00e9","createdDateTime":"x\u2026"},{"createdDateTime":"2026-11-27T03:00:00Z"},{"id":7,"createdDateTime":"2026-11-27T03:00:00Z"}]}`,
	} {
		f.Add(uint8(0), []byte(body))
	}
	f.Fuzz(func(t *testing.T, stream uint8, body []byte) {
		st := audit.Streams[int(stream)%len(audit.Streams)]
		seen := sightings{}
		pg, err := decodePage(bytes.Clone(body), st, pageWindow, seen)
		if errors.Is(err, errUnconfirmed) {
			// Met again, the same records are confirmed.
			pg, err = decodePage(bytes.Clone(body), st, pageWindow, seen)
			if errors.Is(err, errUnconfirmed) {
				t.Fatalf("%q: records not valid JSON unconfirmed on the second sight", body)
			}
		}
		// A record served whole but not valid JSON is rejected as served
		// (TestDecodePageRecordNotJSON); the reference reads each such
		// record as the number 0, which it rejects too.
		ref, invalid := body, map[string]bool{}
		if err == nil && len(pg.invalid) > 0 {
			ref = nil
			last := 0
			for _, sp := range pg.invalid {
				rec := body[sp[0]:sp[1]]
				if sp[0] < last || json.Valid(rec) || rec[0] != '{' && rec[0] != '[' || hasControlByte(rec) {
					t.Fatalf("%q: invalid record %q at %v is valid JSON, not an object or array, or out of order", body, rec, sp)
				}
				invalid[string(rec)] = true
				ref = append(append(ref, body[last:sp[0]]...), '0')
				last = sp[1]
			}
			ref = append(ref, body[last:]...)
		}
		want, wantErr := referencePage(ref, st)
		switch {
		case errors.Is(wantErr, errMalformed):
			if !errors.Is(err, errMalformed) {
				t.Fatalf("%q: err = %v, want malformed (%v)", body, err, wantErr)
			}
			return
		case err != nil && errors.Is(err, errMalformed):
			t.Fatalf("%q: err = %v for a well-formed page", body, err)
		}
		if err != nil || wantErr != nil {
			t.Fatalf("%q: err = %v, want %v", body, err, wantErr)
		}
		if got := rawStrings(pg.records); !slices.Equal(got, want.records) {
			t.Fatalf("%q: records %q, want %q", body, got, want.records)
		}
		var rejects []string
		for _, r := range pg.rejects {
			if !json.Valid(r.Raw) {
				if !invalid[string(r.Raw)] {
					t.Fatalf("%q: reject %q is not valid JSON nor one of the invalid records", body, r.Raw)
				}
				rejects = append(rejects, "0")
			} else {
				rejects = append(rejects, string(r.Raw))
			}
			if r.Reason == "" || !isASCII(r.Reason) {
				t.Fatalf("%q: reject %s has reason %q, want short ASCII", body, r.Raw, r.Reason)
			}
		}
		if !slices.Equal(rejects, want.rejects) {
			t.Fatalf("%q: rejects %q, want %q", body, rejects, want.rejects)
		}
		if pg.served != want.served {
			t.Fatalf("%q: served %d, want %d", body, pg.served, want.served)
		}
		if want.nextValid && pg.next != want.next {
			t.Fatalf("%q: nextLink %q, want %q", body, pg.next, want.next)
		}
	})
}

// referencePage decodes body with encoding/json's tokenizer: every "value"
// key's elements in order (a repeated key appends, as the decoder reads the
// body in one pass), the last nextLink.
type referenceResult struct {
	records   []string // compacted elements inside pageWindow with an id
	rejects   []string // compacted elements without a time, or inside pageWindow without an id
	served    int
	next      string
	nextValid bool // next was decoded from valid UTF-8 (encoding/json replaces invalid bytes)
}

func referencePage(body []byte, st audit.Stream) (referenceResult, error) {
	var res referenceResult
	malformed := func(what string) (referenceResult, error) { return res, errors.Join(errMalformed, errors.New(what)) }
	if !json.Valid(body) {
		return malformed("not JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return malformed("not an object")
	}
	var hasValue bool
	for dec.More() {
		tok, _ := dec.Token()
		key := tok.(string)
		switch key {
		case "value":
			if tok, _ := dec.Token(); tok != json.Delim('[') {
				return malformed("value is not an array")
			}
			hasValue = true
			for dec.More() {
				var elem json.RawMessage
				if err := dec.Decode(&elem); err != nil {
					return malformed(err.Error())
				}
				var compact bytes.Buffer
				if err := json.Compact(&compact, elem); err != nil {
					return malformed(err.Error())
				}
				rec, err := audit.ParseRecord(compact.Bytes(), st.TimeField)
				switch {
				case err != nil:
					res.rejects = append(res.rejects, compact.String())
				case !pageWindow.Contains(rec.Time):
				case rec.ID == "":
					res.rejects = append(res.rejects, compact.String())
				default:
					res.records = append(res.records, compact.String())
				}
				res.served++
			}
			dec.Token() // ']'
		case "@odata.nextLink":
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return malformed(err.Error())
			}
			if string(raw) == "null" {
				res.next, res.nextValid = "", true
				continue
			}
			if len(raw) == 0 || raw[0] != '"' {
				return malformed("nextLink is neither a string nor null")
			}
			if err := json.Unmarshal(raw, &res.next); err != nil {
				return malformed(err.Error())
			}
			res.nextValid = utf8.Valid(raw)
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil && !errors.Is(err, io.EOF) {
				return malformed(err.Error())
			}
		}
	}
	if !hasValue {
		return malformed("no value array")
	}
	return res, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

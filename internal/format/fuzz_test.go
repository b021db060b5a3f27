package format

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// FuzzCSVRoundTrip feeds arbitrary records to the CSV writer. It must never
// panic; a record it refuses must be refused with ErrBadRecord; a record it
// writes must read back with the same id, time and ContentKey. Seeds: the
// fixtures plus testdata/fuzz/FuzzCSVRoundTrip.
func FuzzCSVRoundTrip(f *testing.F) {
	for i, st := range audit.Streams {
		for _, rec := range loadFixtures(f, st) {
			f.Add(uint8(i), rec.Raw)
		}
	}
	f.Fuzz(func(t *testing.T, stream uint8, raw []byte) {
		st := audit.Streams[int(stream)%len(audit.Streams)]
		rec, err := audit.ParseRecord(raw, st.TimeField)
		if err != nil {
			return // not a record a Source could deliver
		}
		var buf bytes.Buffer
		w, err := NewWriter(CSV, st, &buf)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(&rec); err != nil {
			if !errors.Is(err, ErrBadRecord) {
				t.Fatalf("Write: %v, want ErrBadRecord", err)
			}
			return
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(CSV, st, &buf)
		if err != nil {
			t.Fatal(err)
		}
		got, err := r.Next()
		if err != nil {
			t.Fatalf("reading back %q: %v", buf.Bytes(), err)
		}
		checkReadBack(t, CSV, st, &rec, &got)
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("second Next = %v, want EOF", err)
		}
	})
}

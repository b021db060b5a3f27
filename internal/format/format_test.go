package format

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/csv-columns.md")

var formats = []string{JSONL, JSON, CSV}

// loadFixtures reads the hand-written records of a stream: one raw Graph
// record per line, sorted by (time, id).
func loadFixtures(t testing.TB, st audit.Stream) []audit.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fixtures", st.Name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []audit.Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		raw := append([]byte(nil), sc.Bytes()...)
		rec, err := audit.ParseRecord(raw, st.TimeField)
		if err != nil {
			t.Fatalf("%s fixture %d: %v", st.Name, len(recs)+1, err)
		}
		if n := len(recs); n > 0 && audit.Compare(&recs[n-1], &rec) >= 0 {
			t.Fatalf("%s fixture %d is not sorted after the one before", st.Name, n+1)
		}
		recs = append(recs, rec)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 {
		t.Fatalf("no fixtures for %s", st.Name)
	}
	return recs
}

func encode(t testing.TB, format string, st audit.Stream, recs []audit.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(format, st, &buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatalf("%s %s record %d: %v", st.Name, format, i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decodeAll(t testing.TB, format string, st audit.Stream, r io.Reader) []audit.Record {
	t.Helper()
	rd, err := NewReader(format, st, r)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s %s read record %d: %v", st.Name, format, len(out)+1, err)
		}
		out = append(out, rec)
	}
}

// TestGolden pins the exact bytes of every stream in every format.
func TestGolden(t *testing.T) {
	for _, st := range audit.Streams {
		recs := loadFixtures(t, st)
		for _, format := range formats {
			t.Run(st.Name+"."+format, func(t *testing.T) {
				got := encode(t, format, st, recs)
				path := filepath.Join("testdata", "golden", st.Name+"."+format)
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("output differs from %s (go test -update rewrites it after review)\ngot:\n%s", path, got)
				}
			})
		}
	}
}

// TestJSONFormatsAreRawBytes checks the jsonl and json rules against their
// definition, independently of the golden files.
func TestJSONFormatsAreRawBytes(t *testing.T) {
	for _, st := range audit.Streams {
		recs := loadFixtures(t, st)
		var jsonl, array bytes.Buffer
		array.WriteByte('[')
		for i, r := range recs {
			jsonl.Write(r.Raw)
			jsonl.WriteByte('\n')
			if i > 0 {
				array.WriteByte(',')
			}
			array.Write(r.Raw)
		}
		array.WriteByte(']')
		if got := encode(t, JSONL, st, recs); !bytes.Equal(got, jsonl.Bytes()) {
			t.Errorf("%s jsonl is not the raw lines", st.Name)
		}
		if got := encode(t, JSON, st, recs); !bytes.Equal(got, array.Bytes()) {
			t.Errorf("%s json is not the raw array", st.Name)
		}
	}
}

func TestEmptyPart(t *testing.T) {
	for _, st := range audit.Streams {
		header := []byte{}
		for i, c := range Columns(st) {
			if i > 0 {
				header = append(header, ',')
			}
			header = append(header, c.Name...)
		}
		want := map[string]string{JSONL: "", JSON: "[]", CSV: string(header) + "\r\n"}
		for _, format := range formats {
			got := encode(t, format, st, nil)
			if string(got) != want[format] {
				t.Errorf("%s empty %s part = %q, want %q", st.Name, format, got, want[format])
			}
			if recs := decodeAll(t, format, st, bytes.NewReader(got)); len(recs) != 0 {
				t.Errorf("%s empty %s part read back %d records", st.Name, format, len(recs))
			}
		}
	}
}

// TestRoundTrip writes every fixture in every format, plain and gzipped,
// reads it back and checks the ContentKey invariant the job's dedupe relies
// on.
func TestRoundTrip(t *testing.T) {
	for _, st := range audit.Streams {
		recs := loadFixtures(t, st)
		for _, format := range formats {
			for _, gz := range []bool{false, true} {
				name := st.Name + "." + format
				if gz {
					name += ".gz"
				}
				t.Run(name, func(t *testing.T) {
					stored := encode(t, format, st, recs)
					if gz {
						stored = gzipBytes(t, stored)
					}
					var r io.Reader = bytes.NewReader(stored)
					if gz {
						zr, err := NewGzipReader(r)
						if err != nil {
							t.Fatal(err)
						}
						defer zr.Close()
						r = zr
					}
					got := decodeAll(t, format, st, r)
					if len(got) != len(recs) {
						t.Fatalf("read back %d records, wrote %d", len(got), len(recs))
					}
					for i := range recs {
						checkReadBack(t, format, st, &recs[i], &got[i])
					}
				})
			}
		}
	}
}

func checkReadBack(t testing.TB, format string, st audit.Stream, want, got *audit.Record) {
	t.Helper()
	key, err := ContentKey(format, st, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Raw, key) {
		t.Errorf("record %s: read-back Raw\n%q\n!= ContentKey\n%q", want.ID, got.Raw, key)
	}
	if format != CSV && !bytes.Equal(got.Raw, want.Raw) {
		t.Errorf("record %s: %s Raw changed", want.ID, format)
	}
	if got.ID != want.ID || !got.Time.Equal(want.Time) {
		t.Errorf("read back (%q, %v), want (%q, %v)", got.ID, got.Time, want.ID, want.Time)
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := NewGzipWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGzipRejectsDamage(t *testing.T) {
	z := gzipBytes(t, bytes.Repeat([]byte(`{"id":"x"}`+"\n"), 1000))
	if _, err := NewGzipReader(bytes.NewReader([]byte("not gzip at all"))); err == nil {
		t.Error("plain bytes accepted as gzip")
	}
	zr, err := NewGzipReader(bytes.NewReader(z[:len(z)-6]))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(zr); err == nil {
		t.Error("truncated gzip stream read without error")
	}
}

func TestUnknownFormatAndStream(t *testing.T) {
	var buf bytes.Buffer
	if _, err := NewWriter("xml", audit.DirectoryAudits, &buf); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("NewWriter(xml) = %v, want ErrUnknownFormat", err)
	}
	if _, err := NewReader("parquet", audit.DirectoryAudits, &buf); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("NewReader(parquet) = %v, want ErrUnknownFormat", err)
	}
	rec := audit.Record{Raw: []byte(`{}`)}
	if _, err := ContentKey("xml", audit.DirectoryAudits, &rec); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("ContentKey(xml) = %v, want ErrUnknownFormat", err)
	}
	other := audit.Stream{Name: "risky-users", TimeField: "riskLastUpdatedDateTime"}
	if _, err := NewWriter(CSV, other, &buf); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("NewWriter(csv, unknown stream) = %v, want ErrUnknownStream", err)
	}
	if _, err := NewReader(CSV, other, &buf); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("NewReader(csv, unknown stream) = %v, want ErrUnknownStream", err)
	}
	if Columns(other) != nil {
		t.Error("Columns of an unknown stream is not nil")
	}
}

// Compressors come from a pool: streams written one after another, or
// interleaved, must each be complete and independent, and a closed writer
// must refuse more data rather than write into a stream it no longer owns.
func TestGzipWritersAreReusedSafely(t *testing.T) {
	payload := func(i int) []byte { return bytes.Repeat(fmt.Appendf(nil, `{"n":%d}`+"\n", i), 1000+i) }
	var bufs [4]bytes.Buffer
	var ws [4]io.WriteCloser
	for round := range 3 {
		for i := range ws {
			bufs[i].Reset()
			ws[i] = NewGzipWriter(&bufs[i])
		}
		for i := range ws {
			if _, err := ws[i].Write(payload(i + round)); err != nil {
				t.Fatal(err)
			}
		}
		for i := range ws {
			if err := ws[i].Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := ws[i].Write([]byte("late")); err == nil {
				t.Fatal("a closed gzip writer accepted a write")
			}
		}
		for i := range bufs {
			r, err := NewGzipReader(bytes.NewReader(bufs[i].Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, payload(i+round)) {
				t.Fatalf("round %d stream %d: %d bytes back, want %d", round, i, len(got), len(payload(i+round)))
			}
		}
	}
}

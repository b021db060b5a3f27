package read_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

var (
	st = audit.InteractiveSignIns
	p  = audit.Hour.Of(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC))
)

func rec(id string, minute int, note string) audit.Record {
	at := p.Start.Add(time.Duration(minute) * time.Minute)
	raw := fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"status":{"errorCode":0},"note":%q}`, id, audit.FormatTime(at), note)
	return audit.Record{ID: id, Time: at, Raw: []byte(raw)}
}

// put stores recs, in the given order, as part n in format f (gzip), with
// the metadata the job writes.
func put(t *testing.T, s archive.Sink, n int, f string, recs ...audit.Record) read.Blob {
	t.Helper()
	var body bytes.Buffer
	zw := format.NewGzipWriter(&body)
	w, err := format.NewWriter(f, st, zw)
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	part := layout.Part{Tenant: "contoso", Stream: st.Name, Partition: p, Number: n, Format: f, Gzip: true}
	name := layout.Layout{}.PartName(part)
	sum := sha256.Sum256(body.Bytes())
	meta := map[string]string{
		archive.MetaSHA256: hex.EncodeToString(sum[:]), archive.MetaRecords: strconv.Itoa(len(recs)),
		archive.MetaPartitionStart: audit.FormatTime(p.Start), archive.MetaPartitionEnd: audit.FormatTime(p.End()),
		archive.MetaStream: st.Name, archive.MetaTenantID: "72f988bf-0000-0000-0000-000000000000",
		archive.MetaPart: strconv.Itoa(n), archive.MetaFormat: f, archive.MetaArchiverVersion: "test",
	}
	if err := s.Put(t.Context(), name, bytes.NewReader(body.Bytes()), int64(body.Len()), meta); err != nil {
		t.Fatal(err)
	}
	return read.Blob{Part: part, Object: archive.Object{Name: name, Size: int64(body.Len()), Metadata: meta}}
}

func newStream(t *testing.T) (read.Stream, *local.Sink) {
	t.Helper()
	sink, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return read.Stream{Sink: sink, Tenant: "contoso", Stream: st}, sink
}

// TestMergeLatest: the merge gives every version in (time, id) order, part
// by part, and marks the last of each record as its latest: the highest
// part's and, inside it, the last in the part's order.
func TestMergeLatest(t *testing.T) {
	s, sink := newStream(t)
	put(t, sink, 0, "jsonl", rec("a", 1, "v1"), rec("b", 2, ""))
	put(t, sink, 1, "jsonl", rec("a", 1, "v2"), rec("c", 3, ""))
	put(t, sink, 2, "jsonl", rec("a", 1, "v3"), rec("a", 1, "v4"))
	held, err := s.Partition(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(held.Parts) != 3 || held.NextNumber() != 3 || !held.HasP000() || held.Records() != 6 {
		t.Fatalf("listing %+v", held)
	}
	m, err := s.OpenParts(t.Context(), held)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		v, err := m.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		note := strings.TrimSuffix(string(v.Raw[strings.LastIndex(string(v.Raw), `"note":"`)+8:]), `"}`)
		got = append(got, fmt.Sprintf("%s%s p%d latest=%v", v.ID, note, v.Part, v.Latest))
	}
	checks, err := m.Finish()
	if err != nil || len(checks) != 3 {
		t.Fatal(checks, err)
	}
	for _, c := range checks {
		if c.Err() != nil || !c.Complete {
			t.Fatalf("%s: %v", c.Blob.Name, c.Err())
		}
	}
	want := "av1 p0 latest=false, av2 p1 latest=false, av3 p2 latest=false, av4 p2 latest=true, b p0 latest=true, c p1 latest=true"
	if strings.Join(got, ", ") != want {
		t.Fatalf("merge:\n got %s\nwant %s", strings.Join(got, ", "), want)
	}
}

// TestPartReaderChecks: a part is checked as it streams: its order and
// partition record by record, its stored bytes and count against its
// metadata at the end; damage names the blob.
func TestPartReaderChecks(t *testing.T) {
	s, sink := newStream(t)
	readAll := func(b read.Blob) (read.Check, error) {
		rd, err := s.Open(t.Context(), b)
		if err != nil {
			t.Fatal(err)
		}
		for err == nil {
			_, err = rd.Next()
		}
		c, ferr := rd.Finish()
		if ferr != nil {
			t.Fatal(ferr)
		}
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return c, err
	}
	sound := put(t, sink, 0, "jsonl", rec("a", 1, ""), rec("b", 2, ""))
	if c, err := readAll(sound); err != nil || c.Err() != nil || c.Records != 2 || !c.Complete {
		t.Fatalf("sound part: %v, %+v", err, c)
	}

	disorder := put(t, sink, 1, "jsonl", rec("b", 2, ""), rec("a", 1, ""))
	c, err := readAll(disorder)
	var de *read.DamageError
	if !errors.As(err, &de) || de.Blob != disorder.Name || !strings.Contains(err.Error(), "records out of (time, id) order: record 2") || c.Complete {
		t.Fatalf("part out of order: %v, %+v", err, c)
	}

	outside := rec("x", 0, "")
	outside.Time = p.End()
	outside.Raw = bytes.Replace(outside.Raw, []byte(audit.FormatTime(p.Start)), []byte(audit.FormatTime(p.End())), 1)
	elsewhere := put(t, sink, 2, "jsonl", outside)
	if _, err := readAll(elsewhere); err == nil || !strings.Contains(err.Error(), "is outside the partition") {
		t.Fatalf("record outside the partition: %v", err)
	}

	path := filepath.Join(sink.Root(), filepath.FromSlash(sound.Name))
	data, _ := os.ReadFile(path)
	os.WriteFile(path, append(data[:len(data):len(data)], 0), 0o640) // a byte appended after the gzip stream
	sound.Size++
	c, err = readAll(sound)
	if err == nil || !strings.Contains(strings.Join(c.Problems, "; "), "sha256 mismatch: metadata") {
		t.Fatalf("altered part: %v, %+v", err, c.Problems)
	}

	if err := sink.Delete(t.Context(), sound.Name); err != nil {
		t.Fatal(err)
	}
	if c, err := readAll(sound); !errors.Is(err, read.ErrDamaged) || !strings.Contains(c.Err().Error(), "listed, but gone when opened") {
		t.Fatalf("part gone: %v, %+v", err, c)
	}
}

// TestContentsBound: the versions of one record are compared in a set of
// at most read.MaxVersions contents, whatever the number of versions met:
// duplicates are told however many there are, and one content too many is
// ErrTooManyVersions.
func TestContentsBound(t *testing.T) {
	c := read.Contents{Stream: st}
	same := read.Version{Record: rec("a", 1, "same"), Format: "jsonl"}
	for i := range 100_000 {
		_, dup, err := c.Seen(&same)
		if err != nil || dup != (i > 0) {
			t.Fatalf("version %d: dup %v, %v", i, dup, err)
		}
	}
	if c.Len() != 1 {
		t.Fatalf("%d contents held for one content seen 100000 times", c.Len())
	}
	for i := 1; i < read.MaxVersions; i++ {
		v := read.Version{Record: rec("a", 1, strconv.Itoa(i)), Format: "jsonl"}
		if _, dup, err := c.Seen(&v); dup || err != nil {
			t.Fatalf("version %d: dup %v, %v", i, dup, err)
		}
	}
	over := read.Version{Record: rec("a", 1, "one too many"), Format: "jsonl"}
	if _, _, err := c.Seen(&over); !errors.Is(err, read.ErrTooManyVersions) || c.Len() != read.MaxVersions {
		t.Fatalf("version %d: %v, %d held", read.MaxVersions+1, err, c.Len())
	}
	if _, dup, err := c.Seen(&same); !dup || err != nil {
		t.Fatalf("a duplicate once the set is full: dup %v, %v", dup, err)
	}
}

// TestContentsAcrossFormats: a csv row and a JSON record have the same
// content when the row is what a csv writer makes of the record; two JSON
// records with the same row are still different.
func TestContentsAcrossFormats(t *testing.T) {
	a, b := rec("a", 1, "x"), rec("a", 1, "y") // "note" is not a csv column
	row, err := format.ContentKey(format.CSV, st, &a)
	if err != nil {
		t.Fatal(err)
	}
	c := read.Contents{Stream: st, Rows: true}
	for _, tc := range []struct {
		v    read.Version
		dup  bool
		part int
	}{
		{read.Version{Record: a, Format: "jsonl", Part: 0}, false, 0},
		{read.Version{Record: b, Format: "jsonl", Part: 1}, false, 0},
		{read.Version{Record: audit.Record{ID: "a", Time: a.Time, Raw: row}, Format: "csv", Part: 2}, true, 0},
		{read.Version{Record: a, Format: "json", Part: 3}, true, 0},
	} {
		if earlier, dup, err := c.Seen(&tc.v); err != nil || dup != tc.dup || (dup && earlier != tc.part) {
			t.Errorf("part %d (%s): dup %v of part %d, %v; want dup %v", tc.v.Part, tc.v.Format, dup, earlier, err, tc.dup)
		}
	}
}

// TestPartVersionsBound: a part may hold read.MaxVersions records of one
// time and id, as the job may store them; one more is damage, found at that
// record, and the rest of the part is not read as records (its stored
// bytes are still hashed, so the metadata is checked).
func TestPartVersionsBound(t *testing.T) {
	s, _ := newStream(t)
	for _, tc := range []struct {
		n       int
		damaged bool
	}{{read.MaxVersions, false}, {read.MaxVersions + 1, true}} {
		recs := make([]audit.Record, tc.n, tc.n+1)
		for i := range recs {
			recs[i] = rec("a", 1, fmt.Sprintf("%05d", i))
		}
		recs = append(recs, rec("b", 2, "after")) // the next record is read as usual
		b := put(t, s.Sink, tc.n-read.MaxVersions, "jsonl", recs...)
		r, err := s.Open(t.Context(), b)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		var damage error
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				damage = err
				continue
			}
			got++
		}
		c, err := r.Finish()
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case !tc.damaged && (damage != nil || c.Err() != nil || got != tc.n+1):
			t.Errorf("%d versions: read %d, %v, %v", tc.n, got, damage, c.Err())
		case tc.damaged && (!errors.Is(damage, read.ErrDamaged) || !strings.Contains(damage.Error(), read.ErrTooManyVersions.Error()) ||
			got != read.MaxVersions || c.Complete || len(c.Problems) != 1):
			t.Errorf("%d versions: read %d, %v; check %+v", tc.n, got, damage, c)
		}
	}
}

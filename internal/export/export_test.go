package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/odata"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

var (
	// whole covers the archive: it starts at 18:00 on the 19th and its
	// watermark is 02:05 on the 21st.
	wholeFrom = time.Date(2026, 11, 19, 12, 0, 0, 0, time.UTC)
	wholeTo   = time.Date(2026, 11, 21, 6, 0, 0, 0, time.UTC)
)

// options exports [from, to) as f with the job's state; gaps are allowed,
// since the ranges reach before the archive's start (TestCoverage checks
// them).
func options(sink archive.Sink, f string, from, to time.Time) Options {
	o := Options{Sink: sink, Layout: testLay, Tenant: "contoso", Stream: audit.InteractiveSignIns,
		Partition: audit.Hour, From: from, To: to, Format: f, AllowGaps: true}
	st, _, found, err := state.DocStore{Sink: sink, Layout: testLay}.Load(context.Background(), "contoso", audit.InteractiveSignIns.Name)
	if err != nil {
		panic(err)
	}
	if found {
		o.State = &st
	}
	return o
}

func run(t *testing.T, o Options) (string, Stats) {
	t.Helper()
	var out bytes.Buffer
	stats, err := Run(t.Context(), o, &out)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), stats
}

// csvOf is the csv a csv writer of the stream would write for recs: the
// documented header, then each record's row.
func csvOf(t *testing.T, recs []audit.Record) string {
	t.Helper()
	var names []string
	for _, c := range format.Columns(audit.InteractiveSignIns) {
		names = append(names, c.Name)
	}
	var b strings.Builder
	b.WriteString(strings.Join(names, ",") + "\r\n")
	for i := range recs {
		row, err := format.ContentKey(format.CSV, audit.InteractiveSignIns, &recs[i])
		if err != nil {
			t.Fatal(err)
		}
		b.Write(row)
		b.WriteString("\r\n")
	}
	return b.String()
}

func TestExport(t *testing.T) {
	sink := buildArchive(t, "jsonl", "csv")
	all := archivedRecords(t, sink)
	revisions := 0
	for _, a := range all {
		if a.rec.ID == "rev" {
			revisions++
		}
	}
	if len(all) < 300 || revisions != 2 {
		t.Fatalf("the fixture changed: %d records, %d versions of the revised one", len(all), revisions)
	}
	latest := expected(all, wholeFrom, wholeTo, false, nil)
	if len(latest) != len(all)-1 {
		t.Fatalf("ground truth: %d latest of %d archived", len(latest), len(all))
	}

	t.Run("formats", func(t *testing.T) {
		for f, want := range map[string]string{"jsonl": jsonlOf(latest), "json": jsonOf(latest), "csv": csvOf(t, latest)} {
			got, stats := run(t, options(sink, f, wholeFrom, wholeTo))
			if got != want {
				t.Errorf("%s export differs from the archived records:\n got %.300q\nwant %.300q", f, got, want)
			}
			if stats.Records != int64(len(latest)) || stats.Read != int64(len(all)) || stats.Partitions != 42 {
				t.Errorf("%s stats %+v, want %d records of %d read in 42 partitions", f, stats, len(latest), len(all))
			}
		}
	})

	t.Run("all versions", func(t *testing.T) {
		o := options(sink, "jsonl", wholeFrom, wholeTo)
		o.AllVersions = true
		got, _ := run(t, o)
		if want := jsonlOf(expected(all, wholeFrom, wholeTo, true, nil)); got != want {
			t.Fatalf("all versions: got %d lines, want %d", strings.Count(got, "\n"), strings.Count(want, "\n"))
		}
		if !strings.Contains(got, `"note":"first"`) || !strings.Contains(got, `"note":"second"`) {
			t.Fatal("all versions lacks a version of the revised record")
		}
		latestOnly, _ := run(t, options(sink, "jsonl", wholeFrom, wholeTo))
		if strings.Contains(latestOnly, `"note":"first"`) || !strings.Contains(latestOnly, `"note":"second"`) {
			t.Fatal("the latest version is not the revision from the higher part")
		}
	})

	t.Run("ranges cut partitions", func(t *testing.T) {
		for _, r := range []struct{ from, to time.Time }{
			{revTime, revTime.Add(time.Nanosecond)},
			{time.Date(2026, 11, 20, 0, 30, 0, 0, time.UTC), time.Date(2026, 11, 20, 2, 45, 30, 0, time.UTC)},
			{time.Date(2026, 11, 19, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 20, 0, 0, 1, 0, time.UTC)},
			{time.Date(2026, 11, 20, 23, 10, 0, 0, time.UTC), time.Date(2026, 11, 21, 1, 10, 0, 0, time.UTC)},
		} {
			want := expected(all, r.from, r.to, false, nil)
			got, stats := run(t, options(sink, "jsonl", r.from, r.to))
			if got != jsonlOf(want) {
				t.Errorf("[%s, %s): got %d records, want %s", r.from, r.to, stats.Records, ids(want))
			}
		}
	})

	t.Run("where", func(t *testing.T) {
		failed := func(r audit.Record) bool { return bytes.Contains(r.Raw, []byte(`"errorCode":50126`)) }
		for _, tc := range []struct {
			where string
			keep  func(audit.Record) bool
		}{
			{"status/errorCode ne 0", failed},
			{"status/errorCode eq 50126 and startswith(userPrincipalName,'R00')", func(r audit.Record) bool {
				return failed(r) && strings.HasPrefix(r.ID, "r00")
			}},
			{"startswith(userPrincipalName,'late') or id eq 'rev'", func(r audit.Record) bool {
				return strings.HasPrefix(r.ID, "late") || r.ID == "rev"
			}},
			{"note eq 'first'", func(audit.Record) bool { return false }}, // not the latest version
			{"location/city eq 'zürich'", func(audit.Record) bool { return true }},
		} {
			m, err := Compile(audit.InteractiveSignIns, tc.where)
			if err != nil {
				t.Fatal(err)
			}
			want := expected(all, wholeFrom, wholeTo, false, tc.keep)
			for f, wantOut := range map[string]string{"jsonl": jsonlOf(want), "csv": csvOf(t, want)} {
				o := options(sink, f, wholeFrom, wholeTo)
				o.Where = m
				if got, _ := run(t, o); got != wantOut {
					t.Errorf("%s --where %q: got %d lines, want %d: %s", f, tc.where, strings.Count(got, "\n"), len(want), ids(want))
				}
			}
		}
	})

	t.Run("to file", func(t *testing.T) {
		dir := t.TempDir()
		for _, name := range []string{"out.jsonl", "out.csv.gz"} {
			path := filepath.Join(dir, name)
			f := strings.Split(name, ".")[1]
			stats, err := ToFile(t.Context(), options(sink, f, wholeFrom, wholeTo), path)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(name, ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				if err != nil {
					t.Fatal(err)
				}
				if data, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			want, _ := run(t, options(sink, f, wholeFrom, wholeTo))
			if string(data) != want || stats.Records != int64(len(latest)) {
				t.Errorf("%s: %d bytes (%d records), want the %d bytes of the export", name, len(data), stats.Records, len(want))
			}
		}
		// A failed export leaves nothing behind, not even a partial file.
		bad := options(sink, "jsonl", wholeFrom, wholeTo)
		bad.Sink = failingSink{Sink: sink}
		if _, err := ToFile(t.Context(), bad, filepath.Join(dir, "bad.jsonl")); !errors.Is(err, errBroken) {
			t.Fatalf("export from a failing sink: %v", err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 {
			t.Fatalf("folder holds %d files after a failed export, want the 2 earlier ones", len(entries))
		}
	})

	t.Run("csv-only archive", func(t *testing.T) {
		csvSink := buildArchive(t, "csv")
		got, _ := run(t, options(csvSink, "csv", wholeFrom, wholeTo))
		if want := csvOf(t, latest); got != want {
			t.Fatalf("csv export of a csv-only archive differs from the records:\n got %.300q\nwant %.300q", got, want)
		}
		o := options(csvSink, "jsonl", wholeFrom, wholeTo)
		if _, err := Run(t.Context(), o, io.Discard); !errors.Is(err, ErrNeedsJSON) {
			t.Fatalf("jsonl from a csv-only archive: %v, want ErrNeedsJSON", err)
		}
		o.Format = "csv"
		where, err := Compile(o.Stream, "id eq 'rev'")
		if err != nil {
			t.Fatal(err)
		}
		o.Where = where
		if _, err := Run(t.Context(), o, io.Discard); !errors.Is(err, ErrNeedsJSON) {
			t.Fatalf("--where on a csv-only archive: %v, want ErrNeedsJSON", err)
		}
	})
}

var errBroken = errors.New("connection reset")

// failingSink fails every read after a few bytes.
type failingSink struct{ archive.Sink }

func (f failingSink) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	rc, err := f.Sink.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, 20), iotest.ErrReader(errBroken)), rc}, nil
}

func TestEmptyRange(t *testing.T) {
	sink := buildArchive(t, "jsonl")
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for f, want := range map[string]string{"jsonl": "", "json": "[]", "csv": csvOf(t, nil)} {
		got, stats := run(t, options(sink, f, from, from.Add(48*time.Hour)))
		if got != want || stats.Partitions != 48 || stats.Blobs != 0 {
			t.Errorf("%s export of an empty range: %q, %+v", f, got, stats)
		}
	}
	for _, o := range []Options{
		options(sink, "jsonl", from, from),
		options(sink, "xml", from, from.Add(time.Hour)),
	} {
		if _, err := Run(t.Context(), o, io.Discard); err == nil {
			t.Errorf("Run(%s, [%s, %s)) succeeded", o.Format, o.From, o.To)
		}
	}
}

// TestCompile: --where compares strings without regard to case as Graph
// does, except on provisioning, whose Graph filters are case-sensitive; a
// syntax error points at its column.
func TestCompile(t *testing.T) {
	rec := []byte(`{"id":"a","servicePrincipal":{"displayName":"HR App"}}`)
	for _, tc := range []struct {
		stream audit.Stream
		want   bool
	}{
		{audit.InteractiveSignIns, true},
		{audit.DirectoryAudits, true},
		{audit.Provisioning, false},
	} {
		m, err := Compile(tc.stream, "servicePrincipal/displayName eq 'hr app'")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := m.Match(rec); err != nil || got != tc.want {
			t.Errorf("%s: match = %v, %v; want %v", tc.stream.Name, got, err, tc.want)
		}
	}
	_, err := Compile(audit.InteractiveSignIns, "status/errorCode eqq 0")
	var se *odata.SyntaxError
	if !errors.As(err, &se) || se.Col != 18 {
		t.Fatalf("syntax error = %v, want an *odata.SyntaxError at column 18", err)
	}
}

// TestWhereProperties: a documented property written with the wrong case is
// an error that names the right spelling and points at it (it would compare
// as null and select the wrong records); a property not documented at all
// is allowed (Graph adds properties) and reported for a warning.
func TestWhereProperties(t *testing.T) {
	for _, tc := range []struct {
		stream audit.Stream
		where  string
		col    int
		want   string
	}{
		{audit.InteractiveSignIns, "status/errorcode ne 0", 1, `unknown property "status/errorcode" of interactive-signins; did you mean "status/errorCode"?`},
		{audit.InteractiveSignIns, "appId eq 'a' and userprincipalname eq 'x'", 18, `did you mean "userPrincipalName"?`},
		{audit.DirectoryAudits, "initiatedBy/User/userPrincipalName eq 'x'", 1, `did you mean "initiatedBy/user/userPrincipalName"?`},
		{audit.InteractiveSignIns, "appId eq 'a' and createdDateTime lt 'yesterday'", 37, `createdDateTime is compared with 'yesterday', which is not a time`},
	} {
		_, err := Compile(tc.stream, tc.where)
		var se *odata.SyntaxError
		if !errors.As(err, &se) || se.Col != tc.col || !strings.Contains(se.Msg, tc.want) {
			t.Errorf("Compile(%q) = %v; want a syntax error at column %d saying %q", tc.where, err, tc.col, tc.want)
		}
	}
	for _, tc := range []struct {
		stream  audit.Stream
		where   string
		unknown []string
	}{
		{audit.InteractiveSignIns, "status/errorCode ne 0 and startswith(userPrincipalName,'admin')", nil},
		{audit.InteractiveSignIns, "location/city eq 'Oslo' and location/geoCoordinates/latitude gt 59", nil},
		{audit.NonInteractiveSignIns, "signInEventTypes/any(t: t eq 'nonInteractiveUser')", nil},
		{audit.NonInteractiveSignIns, "authenticationDetails/any(a: a/succeeded eq false and a/authenticationMethod eq 'Password')", nil},
		{audit.InteractiveSignIns, "userPrincipalNme eq 'x' or brandNewProperty/x eq 1", []string{"userPrincipalNme", "brandNewProperty/x"}},
	} {
		if _, err := Compile(tc.stream, tc.where); err != nil {
			t.Errorf("Compile(%q): %v", tc.where, err)
		}
		if got := UnknownProperties(tc.stream, tc.where); !slices.Equal(got, tc.unknown) {
			t.Errorf("UnknownProperties(%q) = %q, want %q", tc.where, got, tc.unknown)
		}
	}
}

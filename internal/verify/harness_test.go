package verify

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/job/jobtest"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

func mkrec(id string, t time.Time, note string) audit.Record {
	ts := t.UTC().Format(time.RFC3339Nano)
	raw := fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"userPrincipalName":"%s@contoso.com","status":{"errorCode":0},"note":%q}`, id, ts, id, note)
	return audit.Record{ID: id, Time: t.UTC(), Raw: []byte(raw)}
}

const tenantID = "72f988bf-0000-0000-0000-000000000000"

var (
	// t0 is the first run; the archive starts 6 h earlier (18:00).
	t0       = time.Date(2026, 11, 20, 0, 20, 0, 0, time.UTC)
	runs     = 31 // hourly, t0 … t0+30h
	testJob  = Job{Tenant: "contoso", TenantID: tenantID, Stream: audit.InteractiveSignIns, Partition: audit.Hour, Formats: []string{"jsonl", "csv"}, Gzip: true}
	testLay  = layout.Layout{Prefix: "entra/"}
	hour     = func(day, h int) audit.Partition { return audit.Hour.Of(time.Date(2026, 11, day, h, 0, 0, 0, time.UTC)) }
	settings = job.Settings{
		Tenant: testJob.Tenant, TenantID: tenantID, Stream: audit.InteractiveSignIns,
		Formats: []string{"jsonl", "csv"}, Gzip: true, Partition: audit.Hour, Settle: 15 * time.Minute,
		Recheck: []time.Duration{2 * time.Hour, 24 * time.Hour}, Start: job.Start{Back: 6 * time.Hour},
		RetentionWarning: 24 * time.Hour,
	}
)

// sourceRecords is what the fake Graph serves over the test: a record every
// 7 minutes (none in 20:00–21:00 of the first day), one late arrival per
// hour that shows up 100 minutes after its event, and a revision of one
// record three hours after its event.
func sourceRecords() []jobtest.Served {
	var out []jobtest.Served
	from := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC)
	gap := time.Date(2026, 11, 19, 20, 0, 0, 0, time.UTC)
	end := t0.Add(time.Duration(runs) * time.Hour)
	i := 0
	for t := from; t.Before(end); t = t.Add(7 * time.Minute) {
		i++
		if !t.Before(gap) && t.Before(gap.Add(time.Hour)) {
			continue
		}
		out = append(out, jobtest.Served{Rec: mkrec(fmt.Sprintf("r%04d", i), t, "é,\"\n<&>"), Visible: t.Add(5 * time.Minute)})
	}
	for t := from.Add(31 * time.Minute); t.Before(end); t = t.Add(time.Hour) {
		out = append(out, jobtest.Served{Rec: mkrec("late-"+t.Format("0215"), t, "late"), Visible: t.Add(100 * time.Minute)})
	}
	rev := time.Date(2026, 11, 20, 0, 40, 0, 0, time.UTC)
	out = append(out,
		jobtest.Served{Rec: mkrec("rev", rev, "first"), Visible: rev.Add(5 * time.Minute)},
		jobtest.Served{Rec: mkrec("rev", rev, "second"), Visible: rev.Add(3 * time.Hour)})
	return out
}

// buildArchive archives the source with the real job, running hourly from
// t0 for 30 hours, into sink.
func buildArchive(t *testing.T, sink archive.Sink) {
	t.Helper()
	jobtest.ArchiveHourly(t, settings, sourceRecords(), sink, testLay, t0, runs)
}

// builtArchive builds the archive once into a folder of t (the parent of
// the subtests that copy it) and returns the folder.
func builtArchive(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sink, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	buildArchive(t, sink)
	return dir
}

// archiveCopy returns a sink on a fresh copy of the archive in dir.
func archiveCopy(t *testing.T, dir string) *local.Sink {
	t.Helper()
	cp := t.TempDir()
	if err := os.CopyFS(cp, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	sink, err := local.New(cp)
	if err != nil {
		t.Fatal(err)
	}
	return sink
}

func options(sink archive.Sink) Options {
	return Options{Sink: sink, Layout: testLay, State: state.DocStore{Sink: sink, Layout: testLay}, Jobs: []Job{testJob}}
}

// partName is the name of part n of p in format f (gzip).
func partName(p audit.Partition, n int, f string) string {
	return testLay.PartName(layout.Part{Tenant: testJob.Tenant, Stream: testJob.Stream.Name, Partition: p, Number: n, Format: f, Gzip: true})
}

func manifestName(p audit.Partition) string {
	return testLay.ManifestName(testJob.Tenant, testJob.Stream.Name, p)
}

// readRecords decodes a stored part with the standard library's gzip (not
// the code under test).
func readRecords(t *testing.T, sink archive.Sink, name string) []audit.Record {
	t.Helper()
	rc, err := sink.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for line := range strings.SplitSeq(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		rec, err := audit.ParseRecord([]byte(line), testJob.Stream.TimeField)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// putPart stores recs (in the given order) as part n of p in every
// configured format, with metadata exactly as the job writes it.
func putPart(t *testing.T, sink archive.Sink, p audit.Partition, n int, recs []audit.Record) {
	t.Helper()
	for _, f := range testJob.Formats {
		putBlob(t, sink, p, n, f, recs)
	}
}

// putBlob stores recs as the blob of part n of p in format f.
func putBlob(t *testing.T, sink archive.Sink, p audit.Partition, n int, f string, recs []audit.Record) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	w, err := format.NewWriter(f, testJob.Stream, zw)
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
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(buf.Bytes())
	meta := map[string]string{
		archive.MetaRecords: strconv.Itoa(len(recs)), archive.MetaSHA256: hex.EncodeToString(sum[:]),
		archive.MetaPartitionStart: audit.FormatTime(p.Start), archive.MetaPartitionEnd: audit.FormatTime(p.End()),
		archive.MetaStream: testJob.Stream.Name, archive.MetaTenantID: tenantID, archive.MetaPart: strconv.Itoa(n),
		archive.MetaFormat: f, archive.MetaArchiverVersion: "test",
	}
	if err := sink.Put(t.Context(), partName(p, n, f), bytes.NewReader(buf.Bytes()), int64(buf.Len()), meta); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// want is an expected fault: its blob and a piece of its problem.
type want struct{ blob, problem string }

// checkFaults fails unless every wanted fault was reported and every
// reported fault concerns one of the blobs named in wants.
func checkFaults(t *testing.T, got []Fault, wants ...want) {
	t.Helper()
	blobs := map[string]bool{}
	for _, w := range wants {
		blobs[w.blob] = true
		if !slices.ContainsFunc(got, func(f Fault) bool { return f.Blob == w.blob && strings.Contains(f.Problem, w.problem) }) {
			t.Errorf("no fault %q on %s", w.problem, w.blob)
		}
	}
	for _, f := range got {
		if !blobs[f.Blob] {
			t.Errorf("unexpected fault %s", f)
		}
	}
	t.Logf("faults:\n%s", faultList(got))
}

func faultList(fs []Fault) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return b.String()
}

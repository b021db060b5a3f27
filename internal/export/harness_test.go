package export

import (
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/job/jobtest"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

func mkrec(id string, t time.Time, code int, note string) audit.Record {
	ts := t.UTC().Format(time.RFC3339Nano)
	raw := fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"userPrincipalName":"%s@Contoso.com","status":{"errorCode":%d,"additionalDetails":null},"location":{"city":"Zürich"},"note":%q}`,
		id, ts, id, code, note)
	return audit.Record{ID: id, Time: t.UTC(), Raw: []byte(raw)}
}

var (
	t0      = time.Date(2026, 11, 20, 0, 20, 0, 0, time.UTC)
	runs    = 27 // hourly from t0
	testLay = layout.Layout{Prefix: "x/"}
	revTime = time.Date(2026, 11, 20, 0, 40, 0, 0, time.UTC)
)

// sourceRecords: a record every 7 minutes (every fifth a failed sign-in),
// one late arrival per hour, and a record revised three hours after its
// event (after its 2 h recheck, so the revision lands in a later part).
func sourceRecords() []jobtest.Served {
	var out []jobtest.Served
	from := time.Date(2026, 11, 19, 17, 0, 0, 0, time.UTC)
	end := t0.Add(time.Duration(runs) * time.Hour)
	i := 0
	for t := from; t.Before(end); t = t.Add(7 * time.Minute) {
		i++
		code := 0
		if i%5 == 0 {
			code = 50126
		}
		out = append(out, jobtest.Served{Rec: mkrec(fmt.Sprintf("r%04d", i), t, code, "é,\"\n<&>"), Visible: t.Add(5 * time.Minute)})
	}
	for t := from.Add(31 * time.Minute); t.Before(end); t = t.Add(time.Hour) {
		out = append(out, jobtest.Served{Rec: mkrec("late-"+t.Format("0215"), t, 0, "late"), Visible: t.Add(100 * time.Minute)})
	}
	out = append(out,
		jobtest.Served{Rec: mkrec("rev", revTime, 0, "first"), Visible: revTime.Add(5 * time.Minute)},
		jobtest.Served{Rec: mkrec("rev", revTime, 0, "second"), Visible: revTime.Add(3 * time.Hour)})
	return out
}

func jobSettings(formats ...string) job.Settings {
	return job.Settings{
		Tenant: "contoso", TenantID: "72f988bf-0000-0000-0000-000000000000", Stream: audit.InteractiveSignIns,
		Formats: formats, Gzip: true, Partition: audit.Hour, Settle: 15 * time.Minute,
		Recheck: []time.Duration{2 * time.Hour, 24 * time.Hour}, Start: job.Start{Back: 6 * time.Hour},
		RetentionWarning: 24 * time.Hour,
	}
}

// buildArchive archives the source with the real job into a new folder,
// hourly from t0.
func buildArchive(t *testing.T, formats ...string) archive.Sink {
	t.Helper()
	sink, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	jobtest.ArchiveHourly(t, jobSettings(formats...), sourceRecords(), sink, testLay, t0, runs)
	return sink
}

// archived is one record as stored, with its part.
type archived struct {
	rec  audit.Record
	part int
}

// archivedRecords reads every jsonl part with the standard library's gzip
// and returns the records sorted by (time, id, part, position): the ground
// truth the export is compared with.
func archivedRecords(t *testing.T, sink archive.Sink) []archived {
	t.Helper()
	var out []archived
	err := sink.List(t.Context(), testLay.StreamDir("contoso", audit.InteractiveSignIns.Name), func(o archive.Object) error {
		e, ok := layout.ParseName(audit.InteractiveSignIns.Name, layout.BaseName(o.Name))
		if !ok || e.Manifest || e.Part.Format != "jsonl" {
			return nil
		}
		rc, err := sink.Open(t.Context(), o.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		zr, err := gzip.NewReader(rc)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			return err
		}
		for line := range strings.SplitSeq(string(data), "\n") {
			if line == "" {
				continue
			}
			rec, err := audit.ParseRecord([]byte(line), "createdDateTime")
			if err != nil {
				return err
			}
			out = append(out, archived{rec: rec, part: e.Part.Number})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortStableFunc(out, func(a, b archived) int {
		if c := audit.CompareKey(&a.rec, &b.rec); c != 0 {
			return c
		}
		return a.part - b.part
	})
	return out
}

// expected picks from the ground truth what an export of [from, to) should
// hold: the latest version of each record (or every version) that keep
// accepts, in (time, id) order.
func expected(all []archived, from, to time.Time, allVersions bool, keep func(audit.Record) bool) []audit.Record {
	var out []audit.Record
	for i, a := range all {
		if !(audit.Window{From: from, To: to}).Contains(a.rec.Time) {
			continue
		}
		if !allVersions && i+1 < len(all) && audit.CompareKey(&all[i+1].rec, &a.rec) == 0 {
			continue // a later version follows
		}
		if keep == nil || keep(a.rec) {
			out = append(out, a.rec)
		}
	}
	return out
}

func jsonlOf(recs []audit.Record) string {
	var b strings.Builder
	for _, r := range recs {
		b.Write(r.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}

func jsonOf(recs []audit.Record) string {
	parts := make([]string, len(recs))
	for i, r := range recs {
		parts[i] = string(r.Raw)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func ids(recs []audit.Record) string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ID + "@" + strconv.FormatInt(r.Time.Unix(), 10)
	}
	return strings.Join(out, " ")
}

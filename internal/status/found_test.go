package status_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

// TestCollectShowsUnlistedStreams: streams the configuration no longer
// lists are still in storage, and status shows them, marked, after their
// tenant's jobs (a tenant it does not name at the end), as they are: the
// same watermark, last run and coverage as when they were configured, in
// the partition their state records. A stream with neither folder nor state
// (fabrikam's directory-audits never ran) is not found.
func TestCollectShowsUnlistedStreams(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	all := collect(t, f.Options())

	o := f.Options()
	o.Jobs = o.Jobs[:1] // contoso/interactive-signins only
	var asked []string
	o.Unlisted = func(tenant, stream string) status.Job {
		asked = append(asked, tenant+"/"+stream)
		return status.Job{Partition: audit.Hour, RetentionWarning: 120 * 3600e9}
	}
	rep := collect(t, o)
	if rep.Error != "" {
		t.Fatalf("report error %q", rep.Error)
	}
	var got []string
	for _, r := range rep.Rows {
		got = append(got, r.Tenant+"/"+r.Stream)
	}
	want := []string{"contoso/interactive-signins", "contoso/directory-audits", "fabrikam/provisioning"}
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"contoso/directory-audits", "fabrikam/provisioning"}) {
		t.Errorf("Unlisted asked for %v", asked)
	}
	for i, w := range []struct {
		configured bool
		all        int // the same job's row when everything is configured
	}{{true, 0}, {false, 1}, {false, 3}} {
		r, a := rep.Rows[i], all.Rows[w.all]
		if r.Configured != w.configured {
			t.Errorf("%s: configured %v, want %v", got[i], r.Configured, w.configured)
		}
		if !r.Watermark.Equal(a.Watermark) || r.LastRun.Result != a.LastRun.Result || r.Partition != a.Partition ||
			r.RetentionRisk != a.RetentionRisk || len(r.Lost) != len(a.Lost) || r.Error != "" {
			t.Errorf("%s = %+v\nwant as configured: %+v", got[i], r, a)
		}
		if !slices.Equal(rep.Coverage[i].Days, all.Coverage[w.all].Days) {
			t.Errorf("%s: coverage differs from the configured job's", got[i])
		}
		if !w.configured && (r.Schedule != "" || r.BudgetNeedRatio != 0) {
			t.Errorf("%s: schedule %q and budget need %v, want none (it is not run)", got[i], r.Schedule, r.BudgetNeedRatio)
		}
	}
	if rep.Rows[0].BudgetNeedRatio == 0 {
		t.Error("the configured job lost its budget need")
	}

	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	text := b.String()
	for _, s := range []string{"directory-audits (not configured)", "provisioning (not configured)",
		"(not configured): found in storage, but the configuration does not list it"} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%s", s, text)
		}
	}
	if strings.Contains(text, "interactive-signins (not configured)") {
		t.Errorf("a configured stream is marked:\n%s", text)
	}

	_, body := servePage(t, rep)
	_, cells := tableRows(body)
	var rows [][]string
	for _, r := range cells {
		if len(r) > 1 { // not an error's detail row
			rows = append(rows, r)
		}
	}
	if len(rows) != 3 || rows[0][1] != "interactive-signins" || rows[1][1] != "directory-audits not configured" ||
		rows[2][1] != "provisioning not configured" {
		t.Errorf("page rows %q", rows)
	}
	if !strings.Contains(body, "<li title=\"found in storage, but the configuration does not list it, so it is not archived any more\">2 not configured</li>") ||
		!strings.Contains(body, "<h3>fabrikam / provisioning (not configured)</h3>") {
		t.Errorf("page lacks the summary or the coverage mark:\n%s", body)
	}
}

// TestCollectReportsUnlistableStorage: when the folders cannot be listed,
// the configured jobs are still reported, and the report says what it
// could not see.
func TestCollectReportsUnlistableStorage(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	o := f.Options()
	o.Sink = noFolders{f.Sink}
	rep := collect(t, o)
	if len(rep.Rows) != 4 || !strings.Contains(rep.Error, "list the streams in storage: list the tenants in storage: folders refused") {
		t.Fatalf("%d rows, error %q", len(rep.Rows), rep.Error)
	}
	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Only the configured streams are shown: cannot list the streams in storage") {
		t.Errorf("text:\n%s", b.String())
	}
}

type noFolders struct{ archive.Sink }

func (noFolders) Folders(ctx context.Context, prefix string, fn func(string) error) error {
	return errors.New("folders refused")
}

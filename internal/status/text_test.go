package status_test

import (
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

func TestWriteText(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	failure := rep.Rows[3].LastRun.Error
	if !strings.Contains(failure, statustest.FailureText) {
		t.Fatalf("provisioning error %q lacks the source's error", failure)
	}
	want := `TENANT    STREAM               WATERMARK          LAG     LAST-RUN           RESULT                    RISK     LOST       QUARANTINED  NEED      ERROR
contoso   interactive-signins  2026-11-20 11:45Z  15m00s  2026-11-20 12:00Z  ok                        -        1 recheck  2            85%-HIGH
contoso   directory-audits     2026-11-20 11:45Z  15m00s  2026-11-20 12:00Z  ok                        -        6h00m      -            85%-HIGH
fabrikam  directory-audits     never run          -       -                  -                         -        -          -            1%
fabrikam  provisioning         2026-10-23 00:00Z  28d12h  2026-11-20 12:00Z  failed (never succeeded)  AT-RISK  -          -            1%        ` + failure + `

KNOWN LOSSES (Graph no longer served these spans when the archiver got there; not gaps, not faults)
contoso/interactive-signins  missed recheck at 24h  2026-11-19 00:00Z .. 2026-11-19 06:00Z  6h00m  ` + statustest.RecheckMissedReason + `
contoso/directory-audits     never read             2026-11-18 08:00Z .. 2026-11-18 14:00Z  6h00m  ` + statustest.NeverReadReason + `

QUARANTINED RECORDS (served by Graph without a readable id or time, or not as valid JSON; kept raw, not archived)
contoso/interactive-signins  2  _quarantine/contoso/interactive-signins/

GRAPH BUDGET (requests a day the tenant's streams need, of what its rate_limit allows)
contoso  85%  near its budget: it falls behind on a busy day; ` + status.BudgetAdvice + `

COVERAGE 2026-10-17 .. 2026-11-20 (one character per day: # complete, + partial, ! gap, x known loss, . none, ? unknown)
contoso/interactive-signins  ................................#!+  154 records
contoso/directory-audits     ................................x#+  61 records
fabrikam/directory-audits    ...................................  0 records
fabrikam/provisioning        .....#.............................  8 records
`
	if b.String() != want {
		t.Errorf("text output\n%s\nwant\n%s", b.String(), want)
	}
}

// TestWriteTextUnreadableRow: a row whose state could not be read says so,
// and a multi-line error stays on its row.
func TestWriteTextUnreadableRow(t *testing.T) {
	rep := status.Report{
		Generated: t0,
		Rows: []status.Row{{Tenant: "contoso", Stream: "provisioning", Partition: "hour", Configured: true,
			Error: "read state: line one\nline two"}},
	}
	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := `TENANT   STREAM        WATERMARK  LAG  LAST-RUN  RESULT      RISK  LOST  QUARANTINED  NEED  ERROR
contoso  provisioning  ?          -    -         unreadable  -     -     -            -     read state: line one line two
`
	if b.String() != want {
		t.Errorf("text output\n%s\nwant\n%s", b.String(), want)
	}
}

// TestWriteTextOverBudget: a tenant over its budget is told it falls
// behind every day, once however many streams it has; a tenant under 80 %
// gets no line.
func TestWriteTextOverBudget(t *testing.T) {
	rep := status.Report{Generated: t0, Rows: []status.Row{
		{Tenant: "contoso", Stream: "interactive-signins", Configured: true, BudgetNeedRatio: 1.25},
		{Tenant: "contoso", Stream: "noninteractive-signins", Configured: true, BudgetNeedRatio: 1.25},
		{Tenant: "fabrikam", Stream: "directory-audits", Configured: true, BudgetNeedRatio: 0.7999},
	}}
	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := "\nGRAPH BUDGET (requests a day the tenant's streams need, of what its rate_limit allows)\n" +
		"contoso  125%  over its budget: it falls further behind every day; " + status.BudgetAdvice + "\n"
	if !strings.HasSuffix(b.String(), want) || !strings.Contains(b.String(), " 79%\n") {
		t.Errorf("text output\n%s\nwant it to end with\n%s", b.String(), want)
	}
}

func TestFormatLag(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{45*time.Second + 900*time.Millisecond, "45s"},
		{12*time.Minute + 30*time.Second, "12m30s"},
		{3*time.Hour + 5*time.Minute + 59*time.Second, "3h05m"},
		{6*24*time.Hour + 12*time.Hour + 7*time.Minute, "6d12h"},
		{400 * 24 * time.Hour, "400d00h"},
		{-90 * time.Second, "-1m30s"},
	} {
		if got := status.FormatLag(tc.d); got != tc.want {
			t.Errorf("FormatLag(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

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
	want := `TENANT    STREAM               WATERMARK          LAG     LAST-RUN           RESULT  RISK     ERROR
contoso   interactive-signins  2026-11-20 11:45Z  15m00s  2026-11-20 12:00Z  ok      -
contoso   directory-audits     2026-11-20 11:45Z  15m00s  2026-11-20 12:00Z  ok      -
fabrikam  directory-audits     never run          -       -                  -       -
fabrikam  provisioning         2026-11-14 00:00Z  6d12h   2026-11-20 12:00Z  failed  AT-RISK  ` + failure + `

COVERAGE 2026-10-17 .. 2026-11-20 (one character per day: # complete, + partial, ! gap, . none, ? unknown)
contoso/interactive-signins  ................................#!+  154 records
contoso/directory-audits     ................................##+  69 records
fabrikam/directory-audits    ...................................  0 records
fabrikam/provisioning        ...........................#.......  4 records
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
		Rows: []status.Row{{Tenant: "contoso", Stream: "provisioning", Partition: "hour",
			Error: "read state: line one\nline two"}},
	}
	var b strings.Builder
	if err := status.WriteText(&b, rep); err != nil {
		t.Fatal(err)
	}
	want := `TENANT   STREAM        WATERMARK  LAG  LAST-RUN  RESULT      RISK  ERROR
contoso  provisioning  ?          -    -         unreadable  -     read state: line one line two
`
	if b.String() != want {
		t.Errorf("text output\n%s\nwant\n%s", b.String(), want)
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

package status

import (
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// A job whose first runs failed before it could start shows the failure,
// not "never run", and no lag or risk.
func TestRowOfAJobThatFailedToStart(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	j := Job{Tenant: "free", Stream: "interactive-signins", Partition: audit.Hour, RetentionWarning: 5 * 24 * time.Hour}
	st := state.State{LastRun: &state.Run{Started: now.Add(-time.Minute), Finished: now, Result: "failed",
		Error: "sign-in logs need Entra ID P1 or P2"}}
	r := row(j, st, true, now)
	if r.NeverRun || r.LastRun == nil || r.LastRun.Error != st.LastRun.Error || r.Lag != 0 || r.RetentionRisk {
		t.Fatalf("row %+v", r)
	}
	if got := watermarkText(r); got != "-" {
		t.Fatalf("watermark text %q", got)
	}
	if r := row(j, state.State{}, false, now); !r.NeverRun || r.LastRun != nil {
		t.Fatalf("never run row %+v", r)
	}
}

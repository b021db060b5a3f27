package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The known-loss, quarantine and capacity metrics carry the labels and
// values the alert rules read, and a job's series exist once it is declared
// with zero.
func TestLossQuarantineAndBudget(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg, func() time.Time { return time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC) })
	m.Lost("contoso", "interactive-signins", 0)
	m.Quarantined("contoso", "interactive-signins", 0)
	m.Lost("contoso", "directory-audits", 3600)
	m.Lost("contoso", "directory-audits", 1800)
	m.Lost("contoso", "directory-audits", -5) // a counter never goes down
	m.Quarantined("contoso", "directory-audits", 2)
	m.Quarantined("contoso", "directory-audits", -1)
	m.BudgetNeed("contoso", 0.5)
	m.BudgetNeed("contoso", 0.85) // a gauge: the last value counts
	m.BudgetNeed("fabrikam", 1.2)

	want := `
# HELP entra_archiver_lost_seconds_total Seconds of event time the job could not read because Graph no longer served them (an outage longer than Graph keeps logs, a start before Graph's minimum allowed time); status and verify list the spans. Keep runs from failing for weeks: act on EntraArchiverJobFailing and EntraArchiverRetentionRisk.
# TYPE entra_archiver_lost_seconds_total counter
entra_archiver_lost_seconds_total{stream="directory-audits",tenant="contoso"} 5400
entra_archiver_lost_seconds_total{stream="interactive-signins",tenant="contoso"} 0
# HELP entra_archiver_quarantined_records_total Records Graph served without a readable id or event time, kept raw under _quarantine/ instead of the archive; inspect them there and report them to Microsoft.
# TYPE entra_archiver_quarantined_records_total counter
entra_archiver_quarantined_records_total{stream="directory-audits",tenant="contoso"} 2
entra_archiver_quarantined_records_total{stream="interactive-signins",tenant="contoso"} 0
# HELP entra_archiver_graph_budget_need_ratio Graph requests a day the tenant's streams need (observed volume at 1,000 records a request, times 1 + recheck ages) over its rate_limit budget; at 1 it falls behind: drop rechecks of a stream, move streams to a second app registration, or use diagnostic settings for the largest.
# TYPE entra_archiver_graph_budget_need_ratio gauge
entra_archiver_graph_budget_need_ratio{tenant="contoso"} 0.85
entra_archiver_graph_budget_need_ratio{tenant="fabrikam"} 1.2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"entra_archiver_lost_seconds_total", "entra_archiver_quarantined_records_total", "entra_archiver_graph_budget_need_ratio"); err != nil {
		t.Fatal(err)
	}
}

// Components built without metrics call them on a nil *Metrics.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.Lost("contoso", "directory-audits", 60)
	m.Quarantined("contoso", "directory-audits", 1)
	m.BudgetNeed("contoso", 0.9)
	m.Watermark("contoso", "directory-audits", time.Now())
	m.Archived("contoso", "directory-audits", 1, 0, 0, 0)
	m.BlobWritten("contoso", "directory-audits", 1)
	m.Run("contoso", "directory-audits", ResultOK, time.Second)
	m.RetentionRisk("contoso", "directory-audits", true)
	m.GraphRequest("contoso", "directory-audits", 200)
	m.GraphThrottled("contoso", "directory-audits")
	m.ConfigReload(true)
}

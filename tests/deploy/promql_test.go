package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/entra-archiver/entra-archiver/internal/metrics"
)

// family is what the binary exports under one metric name.
type family struct {
	typ    dto.MetricType
	values map[string]map[string]bool // label name → values seen
}

// exportedMetrics builds the binary's metrics on a fresh registry, touches
// every one of them the way a run does, and gathers what would be scraped.
func exportedMetrics(t *testing.T) map[string]family {
	t.Helper()
	reg := prometheus.NewRegistry()
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	m := metrics.New(reg, func() time.Time { return now })
	m.Watermark("contoso", "directory-audits", now.Add(-30*time.Minute))
	m.BlobWritten("contoso", "directory-audits", 1024)
	m.Archived("contoso", "directory-audits", 10, 1, 1, 1)
	m.Run("contoso", "directory-audits", metrics.ResultOK, time.Second)
	m.Run("contoso", "directory-audits", metrics.ResultFailed, time.Second)
	m.Run("contoso", "directory-audits", metrics.ResultCanceled, time.Second)
	m.RetentionRisk("contoso", "directory-audits", true)
	m.GraphRequest("contoso", "directory-audits", 200)
	m.GraphRequest("contoso", "directory-audits", 429)
	m.GraphThrottled("contoso", "directory-audits")
	m.Lost("contoso", "directory-audits", 3600)
	m.Quarantined("contoso", "directory-audits", 1)
	m.BudgetNeed("contoso", 0.9)
	m.ConfigReload(true)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]family{}
	for _, mf := range mfs {
		f := family{typ: mf.GetType(), values: map[string]map[string]bool{}}
		for _, metric := range mf.GetMetric() {
			for _, lp := range metric.GetLabel() {
				if f.values[lp.GetName()] == nil {
					f.values[lp.GetName()] = map[string]bool{}
				}
				f.values[lp.GetName()][lp.GetValue()] = true
			}
		}
		out[mf.GetName()] = f
	}
	// DESIGN.md lists 16 metric names; each must be gathered for the check
	// to mean anything.
	for _, name := range []string{"records_archived_total", "blobs_written_total", "bytes_written_total",
		"watermark_timestamp_seconds", "lag_seconds", "runs_total", "run_duration_seconds",
		"graph_requests_total", "graph_throttled_total", "late_records_total", "revisions_total",
		"duplicates_dropped_total", "retention_risk", "lost_seconds_total", "quarantined_records_total",
		"graph_budget_need_ratio"} {
		if _, ok := out["entra_archiver_"+name]; !ok {
			t.Fatalf("entra_archiver_%s was not gathered (got %v)", name, slices.Sorted(maps.Keys(out)))
		}
	}
	return out
}

// promqlParser parses PromQL as Prometheus does by default (no
// experimental features).
var promqlParser = parser.NewParser(parser.Options{})

// targetLabels are added by Prometheus (and the operator) to every scraped
// series, so expressions may group or match on them.
var targetLabels = []string{"instance", "job", "namespace", "pod", "container", "endpoint", "service"}

// lookup resolves a series name to its family: a histogram is exported as
// _bucket (with label le), _sum and _count series.
func lookup(exported map[string]family, name string) (family, bool) {
	if f, ok := exported[name]; ok {
		return f, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, cut := strings.CutSuffix(name, suffix)
		f, ok := exported[base]
		if !cut || !ok || f.typ != dto.MetricType_HISTOGRAM {
			continue
		}
		if suffix == "_bucket" {
			f.values = maps.Clone(f.values)
			f.values["le"] = nil
		}
		return f, true
	}
	return family{}, false
}

// checkExpr parses a PromQL expression and checks it against the metrics the
// binary exports: every series it reads is an exported entra_archiver_
// metric, every label it matches exists on that metric (an equality matcher
// must name a value the binary produces), and every label it groups or
// matches on exists on a series it reads.
func checkExpr(expr string, exported map[string]family) []error {
	e, err := promqlParser.ParseExpr(expr)
	if err != nil {
		return []error{fmt.Errorf("does not parse: %w", err)}
	}
	var errs []error
	var used []string
	read := map[string]bool{}
	for _, l := range targetLabels {
		read[l] = true
	}
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		switch n := node.(type) {
		case *parser.VectorSelector:
			errs = append(errs, checkSelector(n, exported, read)...)
		case *parser.AggregateExpr:
			used = append(used, n.Grouping...)
		case *parser.BinaryExpr:
			if n.VectorMatching != nil {
				used = append(used, n.VectorMatching.MatchingLabels...)
				used = append(used, n.VectorMatching.Include...)
			}
		}
		return nil
	})
	for _, l := range used {
		if !read[l] {
			errs = append(errs, fmt.Errorf("label %q is not on any series the expression reads", l))
		}
	}
	return errs
}

// checkSelector checks one selector and adds the labels of its series to
// read.
func checkSelector(n *parser.VectorSelector, exported map[string]family, read map[string]bool) []error {
	if !strings.HasPrefix(n.Name, "entra_archiver_") {
		return []error{fmt.Errorf("selector %s does not read an entra_archiver_ metric", n)}
	}
	f, ok := lookup(exported, n.Name)
	if !ok {
		return []error{fmt.Errorf("metric %s is not exported by the binary", n.Name)}
	}
	for l := range f.values {
		read[l] = true
	}
	var errs []error
	for _, m := range n.LabelMatchers {
		if m.Name == model.MetricNameLabel || slices.Contains(targetLabels, m.Name) {
			continue
		}
		values, has := f.values[m.Name]
		switch {
		case !has:
			errs = append(errs, fmt.Errorf("%s has no label %q", n.Name, m.Name))
		case m.Type == labels.MatchEqual && !values[m.Value]:
			errs = append(errs, fmt.Errorf("%s{%s=%q}: the binary never sets that value (it sets %v)",
				n.Name, m.Name, m.Value, slices.Sorted(maps.Keys(values))))
		}
	}
	return errs
}

// outputLabels returns the labels the series of an alert expression carry,
// for the shapes the rules use (an aggregation, filtered or combined with
// and/unless, or absent()). ok is false for other shapes.
func outputLabels(e parser.Expr) (names []string, ok bool) {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return outputLabels(n.Expr)
	case *parser.BinaryExpr:
		if n.LHS.Type() == parser.ValueTypeScalar {
			return outputLabels(n.RHS)
		}
		return outputLabels(n.LHS)
	case *parser.AggregateExpr:
		return n.Grouping, !n.Without
	case *parser.Call:
		return nil, n.Func.Name == "absent"
	}
	return nil, false
}

// TestCheckExprCatchesMistakes shows that checkExpr fails the mistakes it is
// there to catch.
func TestCheckExprCatchesMistakes(t *testing.T) {
	exported := exportedMetrics(t)
	tests := []struct {
		expr, want string
	}{
		{`entra_archiver_lag_seconds > 7200`, ""},
		{`histogram_quantile(0.9, sum by (le, tenant) (rate(entra_archiver_run_duration_seconds_bucket[5m])))`, ""},
		{`sum by (tenant, stream, instance) (entra_archiver_runs_total{result="ok"})`, ""},
		{`entra_archiver_lag_second > 7200`, "not exported"},
		{`entra_archiver_run_duration_seconds_total`, "not exported"},
		{`entra_archiver_runs_total{result="failure"}`, "never sets that value"},
		{`entra_archiver_runs_total{tennant="a"}`, `no label "tennant"`},
		{`sum by (tennant) (entra_archiver_runs_total)`, `label "tennant" is not on any series`},
		{`entra_archiver_lag_seconds > on (tenant) group_left (code) entra_archiver_retention_risk`, `label "code"`},
		{`up == 0`, "does not read an entra_archiver_ metric"},
		{`sum by (tenant (entra_archiver_runs_total)`, "does not parse"},
	}
	for _, tt := range tests {
		errs := checkExpr(tt.expr, exported)
		switch {
		case tt.want == "" && len(errs) > 0:
			t.Errorf("%s: unexpected %v", tt.expr, errs)
		case tt.want != "" && (len(errs) == 0 || !strings.Contains(fmt.Sprint(errs), tt.want)):
			t.Errorf("%s: got %v, want an error containing %q", tt.expr, errs, tt.want)
		}
	}
}

package deploy

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"text/template"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/entra-archiver/entra-archiver/internal/capacity"
)

// prometheusRule is the part of the Prometheus Operator's PrometheusRule
// (monitoring.coreos.com/v1) the deployment uses; decoding is strict, so a
// field outside it fails the test.
type prometheusRule struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            struct {
		Groups []ruleGroup `json:"groups"`
	} `json:"spec"`
}

// ruleGroup is a group of rules, in a PrometheusRule's spec and in a plain
// Prometheus rules file alike.
type ruleGroup struct {
	Name     string `json:"name"`
	Interval string `json:"interval,omitempty"`
	Rules    []rule `json:"rules"`
}

type rule struct {
	Alert       string            `json:"alert,omitempty"`
	Record      string            `json:"record,omitempty"`
	Expr        string            `json:"expr"`
	For         string            `json:"for,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// podMonitor is the part of monitoring.coreos.com/v1 PodMonitor in use.
type podMonitor struct {
	metav1.TypeMeta `json:",inline"`
	Metadata        metav1.ObjectMeta `json:"metadata"`
	Spec            struct {
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port     string `json:"port"`
			Path     string `json:"path"`
			Interval string `json:"interval,omitempty"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// templateFuncs stands in for the functions Prometheus offers in alert
// templates, so that a misspelt one fails to parse.
var templateFuncs = template.FuncMap{}

func init() {
	for _, name := range []string{"query", "first", "label", "value", "strvalue", "args", "reReplaceAll",
		"safeHtml", "match", "title", "toUpper", "toLower", "graphLink", "tableLink", "sortByLabel",
		"stripPort", "stripDomain", "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
		"humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL", "parseDuration", "now"} {
		templateFuncs[name] = func(...any) string { return "" }
	}
}

// templateDefs is what Prometheus puts before every alert template.
const templateDefs = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"

type templateData struct {
	Labels, ExternalLabels map[string]string
	ExternalURL            string
	Value                  float64
}

// expandAnnotation renders an annotation as Prometheus would, for an alert
// with the given labels. A label the alert does not carry renders as
// "<no value>" and is reported.
func expandAnnotation(text string, alertLabels map[string]string) (string, error) {
	tmpl, err := template.New("annotation").Funcs(templateFuncs).Option("missingkey=default").Parse(templateDefs + text)
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, templateData{Labels: alertLabels, Value: 1}); err != nil {
		return "", err
	}
	if strings.Contains(out.String(), "<no value>") {
		return "", fmt.Errorf("uses a label the alert does not have (it has %v): %s", slices.Sorted(maps.Keys(alertLabels)), out.String())
	}
	return out.String(), nil
}

// TestAlertRules checks every rule of the PrometheusRule against the binary's
// metrics and Prometheus' syntax, and that the promised alerts are there.
func TestAlertRules(t *testing.T) {
	exported := exportedMetrics(t)
	pr := only(t, "PrometheusRule", render(t, overlayDir).PrometheusRules)
	docs := string(readRepoFile(t, "docs/deploy.md"))
	var alerts []string
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				t.Errorf("rule without an alert name: %+v", r)
				continue
			}
			alerts = append(alerts, r.Alert)
			t.Run(r.Alert, func(t *testing.T) { checkAlert(t, r, exported, docs) })
		}
	}
	want := []string{"EntraArchiverAbsent", "EntraArchiverBudgetNeedHigh", "EntraArchiverDataLost",
		"EntraArchiverGraphThrottled", "EntraArchiverJobFailing", "EntraArchiverLagging",
		"EntraArchiverRecordsQuarantined", "EntraArchiverRetentionRisk"}
	slices.Sort(alerts)
	if !slices.Equal(alerts, want) {
		t.Errorf("alerts %v, want %v", alerts, want)
	}
}

// TestLossAndCapacityAlerts pins what the alerts on known losses,
// quarantined records and the Graph budget compare, so that a rule cannot
// drift from the metric or from the threshold status flags
// (capacity.Warn).
func TestLossAndCapacityAlerts(t *testing.T) {
	pr := only(t, "PrometheusRule", render(t, overlayDir).PrometheusRules)
	rules := map[string]rule{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			rules[r.Alert] = r
		}
	}
	for _, tc := range []struct {
		alert, metric, fn, op string
		threshold             float64
		by                    []string
		severity              string
	}{
		{"EntraArchiverDataLost", "entra_archiver_lost_seconds_total", "increase", ">", 0, []string{"tenant", "stream"}, "critical"},
		{"EntraArchiverRecordsQuarantined", "entra_archiver_quarantined_records_total", "increase", ">", 0, []string{"tenant", "stream"}, "warning"},
		{"EntraArchiverBudgetNeedHigh", "entra_archiver_graph_budget_need_ratio", "", ">=", capacity.Warn, []string{"tenant"}, "warning"},
	} {
		t.Run(tc.alert, func(t *testing.T) {
			r, ok := rules[tc.alert]
			if !ok {
				t.Fatal("no such alert")
			}
			if r.Labels["severity"] != tc.severity {
				t.Errorf("severity %q, want %q", r.Labels["severity"], tc.severity)
			}
			e, err := promqlParser.ParseExpr(r.Expr)
			if err != nil {
				t.Fatal(err)
			}
			cmp, ok := e.(*parser.BinaryExpr)
			if !ok || cmp.Op.String() != tc.op || cmp.ReturnBool {
				t.Fatalf("%s: want a filter %s %v", r.Expr, tc.op, tc.threshold)
			}
			if n, ok := cmp.RHS.(*parser.NumberLiteral); !ok || n.Val != tc.threshold {
				t.Errorf("%s: compares with %s, want %v", r.Expr, cmp.RHS, tc.threshold)
			}
			agg, ok := cmp.LHS.(*parser.AggregateExpr)
			if !ok || agg.Without || !slices.Equal(agg.Grouping, tc.by) {
				t.Fatalf("%s: want an aggregation by %v", r.Expr, tc.by)
			}
			inner := agg.Expr
			if tc.fn != "" {
				call, ok := inner.(*parser.Call)
				if !ok || call.Func.Name != tc.fn || len(call.Args) != 1 {
					t.Fatalf("%s: want %s() of the counter", r.Expr, tc.fn)
				}
				m, ok := call.Args[0].(*parser.MatrixSelector)
				if !ok {
					t.Fatalf("%s: want %s() over a range", r.Expr, tc.fn)
				}
				inner = m.VectorSelector
			}
			if v, ok := inner.(*parser.VectorSelector); !ok || v.Name != tc.metric {
				t.Errorf("%s: reads %s, want %s", r.Expr, inner, tc.metric)
			}
		})
	}
}

func checkAlert(t *testing.T, r rule, exported map[string]family, docs string) {
	for _, err := range checkExpr(r.Expr, exported) {
		t.Errorf("expr: %v\n%s", err, r.Expr)
	}
	if _, err := model.ParseDuration(r.For); err != nil {
		t.Errorf("for %q: %v", r.For, err)
	}
	if s := r.Labels["severity"]; s != "warning" && s != "critical" {
		t.Errorf("severity %q, want warning or critical", s)
	}
	e, err := promqlParser.ParseExpr(r.Expr)
	if err != nil {
		return // reported by checkExpr
	}
	names, ok := outputLabels(e)
	if !ok {
		t.Fatalf("cannot tell the labels of the alert's series from %s", r.Expr)
	}
	alertLabels := maps.Clone(r.Labels)
	for _, n := range names {
		alertLabels[n] = "example"
	}
	for _, key := range []string{"summary", "description", "runbook_url"} {
		if r.Annotations[key] == "" {
			t.Errorf("annotation %s missing", key)
			continue
		}
		if _, err := expandAnnotation(r.Annotations[key], alertLabels); err != nil {
			t.Errorf("annotation %s: %v", key, err)
		}
	}
	const docsURL = "https://github.com/entra-archiver/entra-archiver/blob/main/docs/deploy.md#"
	if anchor, ok := strings.CutPrefix(r.Annotations["runbook_url"], docsURL); !ok || !hasHeading(docs, anchor) {
		t.Errorf("runbook_url %q does not point at a heading of docs/deploy.md", r.Annotations["runbook_url"])
	}
}

// TestExpandAnnotationCatchesMistakes shows the annotation check failing
// what it is there to catch.
func TestExpandAnnotationCatchesMistakes(t *testing.T) {
	alertLabels := map[string]string{"tenant": "contoso", "severity": "warning"}
	tests := []struct{ text, want string }{
		{"{{ $labels.tenant }} is {{ $value | humanizeDuration }} behind", ""},
		{"{{ $labels.stream }} failed", "does not have"},
		{"{{ $value | humanise }}", `function "humanise" not defined`},
		{"{{ $labels.tenant }", "unexpected"},
	}
	for _, tt := range tests {
		_, err := expandAnnotation(tt.text, alertLabels)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: unexpected %v", tt.text, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: got %v, want an error containing %q", tt.text, err, tt.want)
		}
	}
}

// hasHeading reports whether a Markdown document has a heading whose GitHub
// anchor is anchor.
func hasHeading(doc, anchor string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.TrimSpace(strings.TrimLeft(line, "#"))
		var b strings.Builder
		for _, r := range strings.ToLower(title) {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
				b.WriteRune(r)
			case r == ' ':
				b.WriteRune('-')
			}
		}
		if b.String() == anchor {
			return true
		}
	}
	return false
}

// TestPodMonitorScrapesTheDeployment checks that the PodMonitor selects the
// Deployment's pods and scrapes the named port that serves /metrics.
func TestPodMonitorScrapesTheDeployment(t *testing.T) {
	m := render(t, overlayDir)
	pm := only(t, "PodMonitor", m.PodMonitors)
	d := only(t, "Deployment", m.Deployments)
	sel, err := metav1.LabelSelectorAsSelector(&pm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	if !sel.Matches(k8slabels.Set(d.Spec.Template.Labels)) {
		t.Errorf("PodMonitor selector %v does not select the pod labels %v", sel, d.Spec.Template.Labels)
	}
	ep := only(t, "podMetricsEndpoint", pm.Spec.PodMetricsEndpoints)
	if ep.Path != "/metrics" {
		t.Errorf("PodMonitor path %q, want /metrics", ep.Path)
	}
	if _, err := containerPort(archiverContainer(t, d), intstr.FromString(ep.Port)); err != nil {
		t.Errorf("PodMonitor port: %v", err)
	}
}

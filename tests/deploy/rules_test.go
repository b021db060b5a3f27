package deploy

import (
	"fmt"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// The alerts have one source: the PrometheusRule of the Kubernetes
// monitoring component. The plain rules file for Prometheus without the
// Operator, the README's table and the table of docs/deploy.md are checked
// against it here, and promtool runs the rules' unit tests.

const (
	plainRulesFile = "deploy/prometheus/rules.yml"
	rulesTestFile  = "deploy/prometheus/rules_test.yml"
)

// shippedRules are the groups of the PrometheusRule, as kustomize renders
// them.
func shippedRules(t *testing.T) []ruleGroup {
	t.Helper()
	return only(t, "PrometheusRule", render(t, overlayDir).PrometheusRules).Spec.Groups
}

// plainRules decodes a Prometheus rules file strictly.
func plainRules(t *testing.T, data []byte) []ruleGroup {
	t.Helper()
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []ruleGroup `json:"groups"`
	}
	strict, err := sigsjson.UnmarshalStrict(j, &file)
	if err != nil || len(strict) > 0 {
		t.Fatalf("%s: %v %v", plainRulesFile, err, strict)
	}
	return file.Groups
}

// TestPlainRulesAreTheShippedRules: deploy/prometheus/rules.yml holds the
// PrometheusRule's groups, rule for rule: names, expressions, durations,
// labels and annotations.
func TestPlainRulesAreTheShippedRules(t *testing.T) {
	want, got := shippedRules(t), plainRules(t, readRepoFile(t, plainRulesFile))
	if reflect.DeepEqual(got, want) {
		return
	}
	if len(got) != len(want) {
		t.Fatalf("%s has %d groups, the PrometheusRule %d", plainRulesFile, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || g.Interval != w.Interval || len(g.Rules) != len(w.Rules) {
			t.Errorf("%s group %d is %q (interval %q, %d rules), the PrometheusRule's %q (%q, %d)",
				plainRulesFile, i, g.Name, g.Interval, len(g.Rules), w.Name, w.Interval, len(w.Rules))
			continue
		}
		for k := range w.Rules {
			if !reflect.DeepEqual(g.Rules[k], w.Rules[k]) {
				t.Errorf("%s differs from the PrometheusRule in rule %d:\n%+v\nwant\n%+v", plainRulesFile, k, g.Rules[k], w.Rules[k])
			}
		}
	}
}

// alertRow is one alert of a Markdown table: its name, and when the table
// has them, its expression and duration.
type alertRow struct{ alert, expr, forDuration string }

// alertTable reads the rows of the first Markdown table after the line
// that contains heading, whose first cell is an alert name in backticks.
func alertTable(t *testing.T, doc, heading string) []alertRow {
	t.Helper()
	i := strings.Index(doc, heading)
	if i < 0 {
		t.Fatalf("no %q", heading)
	}
	var rows []alertRow
	inTable := false
	for line := range strings.Lines(doc[i:]) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), "|")
		name, ok := strings.CutPrefix(strings.TrimSpace(cells[0]), "`EntraArchiver")
		if !ok {
			continue // the header and its rule
		}
		row := alertRow{alert: "EntraArchiver" + name[:strings.IndexByte(name, '`')]}
		if len(cells) >= 3 {
			row.expr = strings.Trim(strings.TrimSpace(cells[1]), "`")
			row.forDuration = strings.Trim(strings.TrimSpace(cells[2]), "`")
		}
		rows = append(rows, row)
	}
	return rows
}

// canonical is a PromQL expression as Prometheus prints it, so that line
// breaks and spacing do not count.
func canonical(expr string) (string, error) {
	e, err := promqlParser.ParseExpr(expr)
	if err != nil {
		return "", err
	}
	return e.String(), nil
}

// TestREADMEAlertsAreTheShippedRules: the README's alert table lists the
// shipped alerts in their order, each with its expression and duration, so
// that what it recommends is what deploy/ runs. On a difference it prints
// the table to paste.
func TestREADMEAlertsAreTheShippedRules(t *testing.T) {
	var want []alertRow
	for _, g := range shippedRules(t) {
		for _, r := range g.Rules {
			expr, err := canonical(r.Expr)
			if err != nil {
				t.Fatalf("%s: %v", r.Alert, err)
			}
			want = append(want, alertRow{r.Alert, expr, r.For})
		}
	}
	got := alertTable(t, string(readRepoFile(t, "README.md")), "**Alerts**")
	for i := range got {
		if expr, err := canonical(got[i].expr); err == nil {
			got[i].expr = expr
		}
	}
	if !reflect.DeepEqual(got, want) {
		var table strings.Builder
		table.WriteString("| alert | expression | for |\n|---|---|---|\n")
		for _, r := range want {
			fmt.Fprintf(&table, "| `%s` | `%s` | %s |\n", r.alert, r.expr, r.forDuration)
		}
		t.Errorf("README.md's alert table differs from the PrometheusRule:\n%+v\nwant this table:\n%s", got, table.String())
	}
}

// TestDocsListEveryAlert: docs/deploy.md explains every shipped alert, in
// order, and no other.
func TestDocsListEveryAlert(t *testing.T) {
	var want []string
	for _, g := range shippedRules(t) {
		for _, r := range g.Rules {
			want = append(want, r.Alert)
		}
	}
	var got []string
	for _, r := range alertTable(t, string(readRepoFile(t, "docs/deploy.md")), "## Alerts") {
		got = append(got, r.alert)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("docs/deploy.md's alerts table lists %v, want %v", got, want)
	}
}

// TestPromtool runs promtool's checks of the plain rules file and its unit
// tests, which make each alert fire and stay quiet (see rules_test.yml).
func TestPromtool(t *testing.T) {
	promtool := testenv.Tool(t, "promtool", "install it (Debian: apt-get install -y prometheus)")
	dir := repoPath(t, "deploy/prometheus")
	for _, args := range [][]string{{"check", "rules", "rules.yml"}, {"test", "rules", "rules_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

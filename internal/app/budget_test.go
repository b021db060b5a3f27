package app

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
)

// budgetGauge reads graph_budget_need_ratio of a tenant.
func budgetGauge(t *testing.T, reg *prometheus.Registry, tenant string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "entra_archiver_graph_budget_need_ratio" {
			continue
		}
		for _, m := range mf.Metric {
			for _, l := range m.GetLabel() {
				if l.GetName() == "tenant" && l.GetValue() == tenant {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	t.Fatalf("no graph_budget_need_ratio for tenant %s", tenant)
	return 0
}

// TestBudgetNeedFollowsObservedVolume: every tenant's need ratio is
// exported from the start (runs alone cost requests), follows the volumes
// its runs observe, sums tenants that share one budget, and a tenant
// crossing 80 % is warned about once.
func TestBudgetNeedFollowsObservedVolume(t *testing.T) {
	tenant := func(name, id string) config.Tenant {
		var c config.Tenant
		c.Name, c.TenantID, c.GraphEndpoint = name, id, "https://graph.microsoft.com"
		c.Auth.ClientID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
		c.Settings.Schedule = "@every 15m"
		c.Settings.Recheck = []time.Duration{2 * time.Hour, 24 * time.Hour, 72 * time.Hour}
		c.Settings.RateLimit = config.RateLimit{Requests: 5, Per: 10 * time.Second}
		return c
	}
	contoso := tenant("contoso", "72f988bf-86f1-41af-91ab-2d7cd011db47")
	again := tenant("contoso-again", "72F988BF-86F1-41AF-91AB-2D7CD011DB47") // the same directory and app
	fabrikam := tenant("fabrikam", "0f4c2d6e-8a1b-4c3d-9e5f-6a7b8c9d0e1f")
	signins := &Entry{Spec: Spec{Tenant: contoso, Stream: audit.NonInteractiveSignIns}}
	audits := &Entry{Spec: Spec{Tenant: again, Stream: audit.DirectoryAudits}}
	other := &Entry{Spec: Spec{Tenant: fabrikam, Stream: audit.DirectoryAudits}}

	reg := prometheus.NewRegistry()
	core, logs := observer.New(zap.WarnLevel)
	b := newBudgetNeeds([]*Entry{signins, audits, other}, zap.New(core), metrics.New(reg, time.Now))
	const budget = 5 * 8640.0 // requests a day at 5 per 10 s
	// Four passes of 96 runs a day for each stream before any volume is known.
	if got, want := budgetGauge(t, reg, "contoso"), 2*4*96/budget; math.Abs(got-want) > 1e-9 {
		t.Fatalf("contoso need %v before any run, want %v", got, want)
	}
	if got := budgetGauge(t, reg, "contoso-again"); got != budgetGauge(t, reg, "contoso") {
		t.Fatalf("tenants sharing a budget have different needs: %v", got)
	}

	b.observe(signins, 9_000_000) // 9,000 pages a pass
	want := (4*(96+9000) + 4*96) / budget
	if got := budgetGauge(t, reg, "contoso"); math.Abs(got-want) > 1e-9 || want < 0.8 {
		t.Fatalf("contoso need %v, want %v (>= 0.8)", got, want)
	}
	if got, want := budgetGauge(t, reg, "fabrikam"), 4*96/budget; math.Abs(got-want) > 1e-9 {
		t.Fatalf("fabrikam need %v, want %v: another directory's volume counted", got, want)
	}
	b.observe(signins, 9_000_001)
	if n := logs.FilterMessageSnippet("Graph request budget").FilterField(zap.String("tenant", "contoso")).Len(); n != 1 {
		t.Fatalf("%d warnings for contoso, want one at the crossing", n)
	}
	b.observe(signins, 1000)
	b.observe(signins, 9_000_000)
	if n := logs.FilterMessageSnippet("Graph request budget").FilterField(zap.String("tenant", "contoso")).Len(); n != 2 {
		t.Fatalf("%d warnings for contoso, want a second one after it fell below and crossed again", n)
	}
	if got := testutil.CollectAndCount(reg, "entra_archiver_graph_budget_need_ratio"); got != 3 {
		t.Fatalf("%d budget series, want one per tenant", got)
	}
}

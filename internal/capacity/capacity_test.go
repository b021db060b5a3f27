package capacity

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func TestRatePerDay(t *testing.T) {
	for _, tt := range []struct {
		rate Rate
		want float64
	}{
		{DefaultRate, 43_200},
		{Rate{Requests: 122, Per: 10 * time.Second}, 1_054_080},
		{Rate{Requests: 10, Per: time.Minute}, 14_400},
		{Rate{Requests: 0, Per: 10 * time.Second}, 0},
		{Rate{Requests: 5, Per: 0}, 0},
	} {
		if got := tt.rate.PerDay(); got != tt.want {
			t.Errorf("%+v.PerDay() = %v, want %v", tt.rate, got, tt.want)
		}
	}
}

func TestRunsPerDay(t *testing.T) {
	for _, tt := range []struct {
		schedule string
		want     float64
	}{
		{"@every 15m", 96},
		{"@every 1h", 24},
		{"@every 7m", 1440.0 / 7},
		{"@every 1s", 86_400},
		{"*/15 * * * *", 96},
		{"0 * * * *", 24},
		{"@hourly", 24},
		{"@daily", 1},
		{"30 2 * * *", 1},
		{"0 3 * * 1", 1.0 / 7},         // Mondays only
		{"0 */6 * * 1-5", 4 * 5 / 7.0}, // weekdays, every six hours
		{"TZ=Europe/Berlin 0 * * * *", 24},
		{"0 0 30 2 *", 0}, // 30 February never comes
	} {
		got, err := RunsPerDay(tt.schedule)
		if err != nil || math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("RunsPerDay(%q) = %v, %v; want %v", tt.schedule, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "every 15m", "61 * * * *", "TZ=UTC"} {
		if _, err := RunsPerDay(bad); err == nil || !strings.Contains(err.Error(), "schedule") {
			t.Errorf("RunsPerDay(%q): error %v, want one naming the schedule", bad, err)
		}
	}
}

func TestNeed(t *testing.T) {
	for _, tt := range []struct {
		name          string
		runs          float64
		rechecks      int
		recordsPerDay float64
		want          float64
	}{
		{"quiet stream, every 15 minutes, three rechecks", 96, 3, 0, 384},
		{"one pass", 96, 0, 50_000, 146},
		// GRAPH-NOTES "Capacity": three passes top out near 14 million
		// records a day on a 43,200 budget.
		{"14.3 million a day, two rechecks", 96, 2, 14_300_000, 3 * (96 + 14_300)},
		{"negative inputs count as none", -1, -1, -5, 0},
	} {
		if got := Need(tt.runs, tt.rechecks, tt.recordsPerDay); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("%s: Need = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGroupKey(t *testing.T) {
	a := GroupKey("https://graph.microsoft.com", "72F988BF-0000-0000-0000-000000000000", "5E3CE6C0-2B1F-4285-8D4B-75EE78787346")
	b := GroupKey("https://graph.microsoft.com/", "72f988bf-0000-0000-0000-000000000000", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346")
	if a != b {
		t.Errorf("same directory and app, different keys: %q, %q", a, b)
	}
	for _, other := range []string{
		GroupKey("https://graph.microsoft.us", "72f988bf-0000-0000-0000-000000000000", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"),
		GroupKey("https://graph.microsoft.com", "0f4c2d6e-8a1b-4c3d-9e5f-6a7b8c9d0e1f", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"),
		GroupKey("https://graph.microsoft.com", "72f988bf-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001"),
	} {
		if other == a {
			t.Errorf("another endpoint, directory or app shares the key %q", a)
		}
	}
}

func TestRatios(t *testing.T) {
	shared := GroupKey("", "72f988bf-0000-0000-0000-000000000000", "app")
	// 14,300,000 records a day at 1,000 a request, three passes, every 15
	// minutes: 3 × (96 + 14,300) = 43,188 of 43,200.
	big := Job{Tenant: "contoso", Group: shared, Rate: DefaultRate, Schedule: "@every 15m", Rechecks: 2, RecordsPerDay: 14_300_000}
	for _, tt := range []struct {
		name string
		jobs []Job
		want map[string]float64
		err  string
	}{
		{
			name: "default budget, two quiet streams with three rechecks",
			jobs: []Job{
				{Tenant: "contoso", Rate: DefaultRate, Schedule: "@every 15m", Rechecks: 3},
				{Tenant: "contoso", Rate: DefaultRate, Schedule: "@every 15m", Rechecks: 3, RecordsPerDay: 1_000_000},
			},
			want: map[string]float64{"contoso": (4*96 + 4*(96+1000)) / 43_200.0},
		},
		{
			name: "the notes' ceiling: three passes of 14.3 million a day fill the budget",
			jobs: []Job{big},
			want: map[string]float64{"contoso": 43_188 / 43_200.0},
		},
		{
			name: "two tenant names for one directory and app share its budget, the first one's rate",
			jobs: []Job{
				big,
				{Tenant: "contoso-audits", Group: shared, Rate: Rate{Requests: 50, Per: 10 * time.Second}, Schedule: "@hourly", Rechecks: 0, RecordsPerDay: 20_000},
				{Tenant: "fabrikam", Rate: Rate{Requests: 10, Per: 10 * time.Second}, Schedule: "@hourly", Rechecks: 1, RecordsPerDay: 100_000},
			},
			want: map[string]float64{
				"contoso":        (43_188 + 24 + 20) / 43_200.0,
				"contoso-audits": (43_188 + 24 + 20) / 43_200.0,
				"fabrikam":       2 * (24 + 100) / 86_400.0,
			},
		},
		{
			name: "a tenant without a budget or with a bad schedule is an error, the others still count",
			jobs: []Job{
				{Tenant: "contoso", Rate: Rate{}, Schedule: "@every 15m"},
				{Tenant: "fabrikam", Rate: DefaultRate, Schedule: "every quarter hour"},
				{Tenant: "northwind", Rate: DefaultRate, Schedule: "@every 15m", Rechecks: 2},
			},
			want: map[string]float64{"northwind": 288 / 43_200.0},
			err:  "tenant fabrikam: schedule \"every quarter hour\"",
		},
		{name: "no jobs", want: map[string]float64{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Ratios(tt.jobs)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("unexpected %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("ratios %v, want %v", got, tt.want)
			}
			for tenant, want := range tt.want {
				if r, ok := got[tenant]; !ok || math.Abs(r-want) > 1e-12 {
					t.Errorf("%s: ratio %v, want %v", tenant, r, want)
				}
			}
		})
	}
	_, err := Ratios([]Job{{Tenant: "contoso", Schedule: "@every 15m"}})
	if !errors.Is(err, ErrNoBudget) || !strings.Contains(err.Error(), "tenant contoso") {
		t.Errorf("a zero rate: %v, want ErrNoBudget naming the tenant", err)
	}
}

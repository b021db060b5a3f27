package app

import (
	"sync"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/metrics"
)

// budgetNeeds keeps every tenant's Graph budget need current (DESIGN.md
// "Capacity is stated"): the requests a day its streams need for their
// observed volume and recheck passes, against its rate_limit. Each run and
// each tick that finds a job running elsewhere reports the stream's volume;
// the ratio is exported as graph_budget_need_ratio and a tenant crossing
// capacity.Warn is logged as a warning, long before it falls behind.
type budgetNeeds struct {
	log     *zap.Logger
	metrics *metrics.Metrics
	mu      sync.Mutex
	jobs    []capacity.Job
	index   map[*Entry]int
	warned  map[string]bool
}

func newBudgetNeeds(entries []*Entry, log *zap.Logger, m *metrics.Metrics) *budgetNeeds {
	b := &budgetNeeds{log: log, metrics: m, index: map[*Entry]int{}, warned: map[string]bool{}}
	for i, e := range entries {
		b.jobs = append(b.jobs, e.CapacityJob())
		b.index[e] = i
	}
	b.publish()
	return b
}

// observe records a stream's volume (records per day; 0 = not known, which
// leaves the last known value) and publishes the tenants' ratios.
func (b *budgetNeeds) observe(e *Entry, recordsPerDay float64) {
	if b == nil || recordsPerDay <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.index[e]
	if !ok || b.jobs[i].RecordsPerDay == recordsPerDay {
		return
	}
	b.jobs[i].RecordsPerDay = recordsPerDay
	b.publishLocked()
}

func (b *budgetNeeds) publish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.publishLocked()
}

func (b *budgetNeeds) publishLocked() {
	ratios, err := capacity.Ratios(b.jobs)
	if err != nil {
		b.log.Warn("could not compute every tenant's Graph budget need", zap.Error(err))
	}
	for tenant, r := range ratios {
		b.metrics.BudgetNeed(tenant, r)
		high := r >= capacity.Warn
		if high && !b.warned[tenant] {
			b.log.Warn("the tenant needs most of its Graph request budget: it will fall behind on a busy day and lose records at Graph's 30-day edge; "+
				"drop recheck ages of a stream, read some streams with a second app registration, or export the largest stream with Entra's diagnostic settings",
				zap.String("tenant", tenant), zap.Float64("budget_need_ratio", r))
		}
		b.warned[tenant] = high
	}
}

package status

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// CacheTTL is how long the page reuses a report, so a refreshing browser (or
// several) cannot turn into a stream of storage listings.
const CacheTTL = 30 * time.Second

// RefreshSeconds is the page's self-refresh interval.
const RefreshSeconds = 60

// collectTimeout bounds one collection for the page.
const collectTimeout = 30 * time.Second

//go:embed page.html
var pageHTML string

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"timeText":      timeText,
	"dateText":      dateText,
	"lagText":       lagText,
	"watermarkText": watermarkText,
	"lastRunText":   lastRunText,
	"resultText":    resultText,
	"resultClass":   resultClass,
	"rowClass":      rowClass,
	"errorText":     errorText,
	"symbol":        htmlSymbol,
	"count":         count,
	"compact":       compact,
	"lostText":      lostText,
	"lostKind":      lostKind,
	"lagOf":         FormatLag,
	"sub":           func(a, b time.Time) time.Duration { return a.Sub(b) },
	"percent":       percent,
	"advice":        func() string { return BudgetAdvice },
	"notConfigured": func() string { return notConfigured },
}).Parse(pageHTML))

// Handler serves the status page: server-rendered HTML with inline CSS, no
// script and no external asset. collect is called at most once per CacheTTL
// while generation returns the same value (a reloaded configuration returns
// a new one, so the page shows the new jobs at once); concurrent requests
// wait for the same collection. generation may be nil.
func Handler(collect func(context.Context) (Report, error), generation func() any) http.Handler {
	p := newPage(collect, time.Now, CacheTTL)
	p.generation = generation
	return p
}

type page struct {
	collect    func(context.Context) (Report, error)
	generation func() any
	now        func() time.Time
	ttl        time.Duration

	mu     sync.Mutex
	report *Report
	at     time.Time
	gen    any
}

func newPage(collect func(context.Context) (Report, error), now func() time.Time, ttl time.Duration) *page {
	return &page{collect: collect, now: now, ttl: ttl}
}

func (p *page) currentGeneration() any {
	if p.generation == nil {
		return nil
	}
	return p.generation()
}

// current returns the cached report or collects a new one. A collection is
// not tied to the request that started it (a closed tab must not waste the
// work the next refresh needs); failures are not cached.
func (p *page) current(ctx context.Context) (Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	gen := p.currentGeneration()
	if p.report != nil && p.now().Sub(p.at) < p.ttl && gen == p.gen {
		return *p.report, nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), collectTimeout)
	defer cancel()
	rep, err := p.collect(ctx)
	if err != nil {
		return Report{}, err
	}
	p.report, p.at, p.gen = &rep, p.now(), gen
	return rep, nil
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rep, err := p.current(r.Context())
	if err != nil {
		http.Error(w, "status unavailable: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, newView(rep)); err != nil {
		http.Error(w, "render status page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	// The page needs nothing but itself and its inline styles.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// view is what the template renders.
type view struct {
	Report
	Refresh int
	Dates   []time.Time
	Summary summary
}

type summary struct {
	Jobs, Failed, AtRisk, Gaps, Unreadable, NeverRun, NotConfigured int
	// NeverSucceeded counts the jobs that ran and never ended a run ok.
	NeverSucceeded int
	// KnownLoss and Quarantined count jobs; BudgetHigh counts tenants.
	KnownLoss, Quarantined, BudgetHigh int
	// Losses is every job with lost spans, for the list of them.
	Losses []Row
}

func newView(r Report) view {
	v := view{Report: r, Refresh: RefreshSeconds}
	if len(r.Coverage) > 0 {
		for _, d := range r.Coverage[0].Days {
			v.Dates = append(v.Dates, d.Date)
		}
	}
	v.Summary.Jobs = len(r.Rows)
	for _, row := range r.Rows {
		switch {
		case row.Error != "":
			v.Summary.Unreadable++
		case row.NeverRun:
			v.Summary.NeverRun++
		case row.LastRun.Failed():
			v.Summary.Failed++
		}
		if row.Error == "" && !row.NeverRun && row.NeverSucceeded {
			v.Summary.NeverSucceeded++
		}
		if !row.Configured {
			v.Summary.NotConfigured++
		}
		if row.RetentionRisk {
			v.Summary.AtRisk++
		}
		if row.KnownLoss() {
			v.Summary.KnownLoss++
			v.Summary.Losses = append(v.Summary.Losses, row)
		}
		if row.Quarantined > 0 {
			v.Summary.Quarantined++
		}
	}
	high := map[string]bool{}
	for _, row := range r.Rows {
		if row.BudgetNeedHigh() {
			high[row.Tenant] = true
		}
	}
	v.Summary.BudgetHigh = len(high)
	for _, c := range r.Coverage {
		for _, d := range c.Days {
			if d.State == Gap {
				v.Summary.Gaps++
				break
			}
		}
	}
	return v
}

func rowClass(r Row) string {
	switch {
	case r.Error != "":
		return "unreadable"
	case r.LastRun.Failed():
		return "failed"
	}
	return ""
}

func resultClass(r Row) string {
	switch {
	case r.Error != "":
		return "unreadable"
	case r.LastRun == nil:
		return "idle"
	case r.LastRun.Failed():
		return "failed"
	}
	return "ok"
}

// htmlSymbol marks a day's state in the grid, so the grid reads without
// colour.
func htmlSymbol(s DayState) string {
	switch s {
	case Complete:
		return "✓"
	case Partial:
		return "◐"
	case Gap:
		return "!"
	case None:
		return "·"
	case Lost:
		return "✗"
	}
	return "?"
}

// count renders n with thousands separators: 1,234,567.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	var b []byte
	for i, c := range []byte(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

// compact renders n in at most four characters for a grid cell: 950, 12k,
// 1.2M.
func compact(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10)
	case n < 10_000:
		return fmt.Sprintf("%d.%dk", n/1000, n%1000/100)
	case n < 1_000_000:
		return fmt.Sprintf("%dk", n/1000)
	case n < 10_000_000:
		return fmt.Sprintf("%d.%dM", n/1_000_000, n%1_000_000/100_000)
	}
	return fmt.Sprintf("%dM", n/1_000_000)
}

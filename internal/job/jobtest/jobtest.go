// Package jobtest builds archives with the real job for the tests of the
// packages that read them (export, verify): a fake Graph source with records
// that become visible over time, and a driver that runs a job hourly.
package jobtest

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Served is one version of a record, served from Visible on.
type Served struct {
	Rec     audit.Record
	Visible time.Time
}

// Source serves records like Graph: those visible at Now with event time in
// the window, newest first, in pages of PageSize (0 = one page).
type Source struct {
	Now      func() time.Time
	Entries  []Served
	PageSize int
	mu       sync.Mutex
}

// Fetch implements job.Source.
func (f *Source) Fetch(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
	f.mu.Lock()
	var out []audit.Record
	for _, e := range f.Entries {
		if w.Contains(e.Rec.Time) && !e.Visible.After(f.Now()) {
			out = append(out, e.Rec)
		}
	}
	f.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	for f.PageSize > 0 && len(out) > f.PageSize {
		if err := page(audit.Page{Records: out[:f.PageSize], Served: f.PageSize}); err != nil {
			return err
		}
		out = out[f.PageSize:]
	}
	return page(audit.Page{Records: out, Served: len(out)})
}

// ArchiveHourly runs a job of set over entries into sink, once an hour from
// t0 for runs hours, with the clock at each run's time; state is kept in the
// sink. Any run's error fails the test.
func ArchiveHourly(t testing.TB, set job.Settings, entries []Served, sink archive.Sink, lay layout.Layout, t0 time.Time, runs int) {
	t.Helper()
	now := t0
	clock := func() time.Time { return now }
	j := job.New(set, job.Deps{
		Source: &Source{Now: clock, Entries: entries, PageSize: 50}, Sink: sink, Layout: lay,
		State: state.DocStore{Sink: sink, Layout: lay}, Clock: clock, TempDir: t.TempDir(), Version: "test",
	})
	for i := range runs {
		now = t0.Add(time.Duration(i) * time.Hour)
		if _, err := j.Run(context.Background()); err != nil {
			t.Fatalf("run at %s: %v", now, err)
		}
	}
}

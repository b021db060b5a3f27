package job

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// clock is the tests' manual clock.
type clock = fakeclock.Clock

// version is one served version of a record: visible from Visible on, and
// (if Until is set) replaced at Until.
type version struct {
	rec     audit.Record
	visible time.Time
	until   time.Time
}

// fakeSource serves versions like Graph: every entry visible at the clock's
// now with event time in the window, newest first, in pages of three. It is a
// fake of our own Source boundary; the real Graph client is tested against the
// simulated Graph.
type fakeSource struct {
	mu      sync.Mutex
	clock   *clock
	entries []version
	calls   int
	fail    func(call int, w audit.Window) error
	// refuse answers every query of the named streams with the error, as
	// Graph refuses a Free tenant's sign-ins.
	refuse map[string]error
	// windows lists every query window asked for.
	windows []audit.Window
	// graphAhead is how far Graph's clock runs ahead of the test clock.
	graphAhead time.Duration
	// timeoutOver makes the first page of a wider window time out.
	timeoutOver time.Duration
	// rejects are served, unarchivable, by queries whose window holds at.
	rejects []rejectAt
	// hidden is how many records Graph serves per record it passes on
	// (a filter that keeps few records still costs Graph the others).
	hidden   int
	pageSize int
	served   map[string]bool
}

func (f *fakeSource) add(v version) {
	f.mu.Lock()
	f.entries = append(f.entries, v)
	f.mu.Unlock()
}

// serve adds recs, each visible from the start and never replaced.
func (f *fakeSource) serve(recs []audit.Record) {
	for _, r := range recs {
		f.add(version{rec: r})
	}
}

func (f *fakeSource) Fetch(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.windows = append(f.windows, w)
	now := f.clock.Now()
	if err := f.refuse[st.Name]; err != nil {
		f.mu.Unlock()
		return err
	}
	if err := graphEdge(st, w, now.Add(f.graphAhead)); err != nil {
		f.mu.Unlock()
		return err
	}
	if f.timeoutOver > 0 && w.Duration() > f.timeoutOver {
		f.mu.Unlock()
		return fmt.Errorf("first page: %w", audit.ErrTimedOut)
	}
	var out []audit.Record
	for _, e := range f.entries {
		if !w.Contains(e.rec.Time) || e.visible.After(now) || (!e.until.IsZero() && !e.until.After(now)) {
			continue
		}
		out = append(out, e.rec)
	}
	var rejects []audit.Reject
	for _, r := range f.rejects {
		if w.Contains(r.at) {
			rejects = append(rejects, r.rej)
		}
	}
	fail := f.fail
	size := f.pageSize
	if f.served == nil {
		f.served = map[string]bool{}
	}
	f.mu.Unlock()
	if size == 0 {
		size = 3
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	for i := 0; i < len(out) || i == 0; i += size {
		if fail != nil {
			if err := fail(call, w); err != nil {
				return err
			}
		}
		end := min(i+size, len(out))
		pg := audit.Page{Records: out[i:end], Rejects: rejects}
		pg.Served = (len(pg.Records) + len(rejects)) * (1 + f.hidden)
		rejects = nil
		f.mu.Lock()
		for _, r := range pg.Records {
			f.served[string(r.Raw)] = true
		}
		f.mu.Unlock()
		if err := page(pg); err != nil {
			return err
		}
		if end >= len(out) {
			break
		}
	}
	return nil
}

// graphEdge refuses a window whose lower bound lies before Graph's minimum
// allowed time at graphNow (midnight UTC 30 days back), as Graph does: with
// the instant named for audits and provisioning, unnamed for sign-ins.
func graphEdge(st audit.Stream, w audit.Window, graphNow time.Time) error {
	edge := audit.Day.Floor(graphNow).Add(-audit.MinimumTimeAge)
	bound := w.From.Truncate(time.Second)
	if st.ExclusiveBounds {
		bound = bound.Add(-time.Second)
	}
	if !bound.Before(edge) {
		return nil
	}
	if st.SignIns {
		return &audit.MinimumTimeError{Minimum: audit.MinimumTime(graphNow), Msg: "Invalid filter clause"}
	}
	return &audit.MinimumTimeError{Minimum: edge, Named: true, Msg: "Minimum allowed time for activityDateTime is " + edge.Format(time.RFC3339)}
}

// rejectAt is a record Graph serves without a readable id or time, in the
// windows that hold at.
type rejectAt struct {
	at  time.Time
	rej audit.Reject
}

// Windows returns the query windows asked for so far.
func (f *fakeSource) Windows() []audit.Window {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.windows)
}

func (f *fakeSource) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// mkrec builds a record of stream st at t.
func mkrec(id string, t time.Time, extra string) audit.Record {
	raw := fmt.Sprintf(`{"id":%q,"createdDateTime":%q,"activityDateTime":%q,"userPrincipalName":"user,%s@contoso.com","status":{"errorCode":0},"note":%q}`,
		id, t.UTC().Format(time.RFC3339Nano), t.UTC().Format(time.RFC3339Nano), id, extra)
	return audit.Record{ID: id, Time: t.UTC(), Raw: []byte(raw)}
}

type harness struct {
	t      *testing.T
	clock  *clock
	src    *fakeSource
	sink   *local.Sink
	store  state.Store
	set    Settings
	sinkFn func(archive.Sink) archive.Sink // wraps the sink (fault injection)
}

var t0 = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := fakeclock.New(t0)
	sink, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, clock: c, src: &fakeSource{clock: c}, sink: sink,
		store: state.DocStore{Sink: sink},
		set: Settings{
			Tenant: "contoso", TenantID: "72f988bf-0000-0000-0000-000000000000", Stream: audit.InteractiveSignIns,
			Formats: []string{"jsonl"}, Gzip: true, Partition: audit.Hour, Settle: 15 * time.Minute,
			Recheck: []time.Duration{2 * time.Hour, 24 * time.Hour}, Start: Start{Back: 6 * time.Hour},
			RetentionWarning: 5 * 24 * time.Hour,
		},
	}
	return h
}

func (h *harness) job() *Job {
	var sink archive.Sink = h.sink
	if h.sinkFn != nil {
		sink = h.sinkFn(sink)
	}
	return New(h.set, Deps{Source: h.src, Sink: sink, State: h.store, Clock: h.clock.Now,
		TempDir: h.t.TempDir(), SortMemory: 4 << 10, Version: "test"})
}

func (h *harness) run() Result {
	h.t.Helper()
	res, err := h.job().Run(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

func (h *harness) state() state.State {
	h.t.Helper()
	st, _, found, err := h.store.Load(context.Background(), h.set.Tenant, h.set.Stream.Name)
	if err != nil || !found {
		h.t.Fatalf("state: found=%v err=%v", found, err)
	}
	return st
}

// storedPart is one part as read back from the archive.
type storedPart struct {
	name    string
	p       audit.Partition
	number  int
	format  string
	records []audit.Record
	meta    map[string]string
}

// readArchive reads every data blob of the job's stream back, checking the
// invariants any archive must hold (partstest.Read).
func (h *harness) readArchive() []storedPart {
	h.t.Helper()
	var parts []storedPart
	for _, p := range partstest.Read(h.t, h.sink, layout.Layout{}, h.set.Tenant, h.set.Stream, h.set.Partition, "") {
		parts = append(parts, storedPart{name: p.Name, p: p.Entry.Partition, number: p.Entry.Part.Number,
			format: p.Entry.Part.Format, records: p.Records, meta: p.Meta})
	}
	return parts
}

// jsonlRecords returns the raw bytes of every archived jsonl record, sorted,
// failing on any (id, content) pair stored twice.
func (h *harness) jsonlRecords(parts []storedPart) []string {
	h.t.Helper()
	seen := map[string]string{}
	var out []string
	for _, p := range parts {
		if p.format != "jsonl" {
			continue
		}
		for _, r := range p.records {
			if where, dup := seen[string(r.Raw)]; dup {
				h.t.Errorf("record %s stored twice: %s and %s", r.ID, where, p.name)
			}
			seen[string(r.Raw)] = p.name
			out = append(out, string(r.Raw))
		}
	}
	sort.Strings(out)
	return out
}

// partNames lists "label pNNN" of every jsonl part.
func partNames(parts []storedPart) []string {
	var out []string
	for _, p := range parts {
		if p.format == "jsonl" {
			out = append(out, fmt.Sprintf("%s p%03d (%d)", p.p.Label(), p.number, len(p.records)))
		}
	}
	slices.Sort(out)
	return out
}

func raws(recs ...audit.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Raw))
	}
	sort.Strings(out)
	return out
}

func diffStrings(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	return fmt.Sprintf("got %d:\n  %s\nwant %d:\n  %s", len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
}

package graphsim

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Ground truth. Every answer is computed from the same functions the Graph
// endpoint serves from, at the instant asked for, so tests compare an
// archive with exactly what Graph offered. Records are compact JSON, in the
// stream's canonical shape (its audit.Stream APIVersion: beta for every
// sign-in stream, v1.0 for audits and provisioning), ordered by event time,
// then id, then version, with evolvable enum members as they are (what a
// client that sends Prefer: include-unknown-enum-members receives).

// Only archivable records (a readable id and event time) count as records;
// the others, which Graph serves now and then, are Rejected.

// Visible returns what a complete query of the window at asOf returns, with
// re-published copies collapsed: the newest visible version of each
// archivable record still within retention.
func (t *Tenant) Visible(stream string, w audit.Window, asOf time.Time) [][]byte {
	return t.newest(stream, w, asOf, true)
}

// Rejected returns the records without a readable id or event time that a
// complete query of the window at asOf returns (their hidden event time
// lies in the window), as Visible does for the others.
func (t *Tenant) Rejected(stream string, w audit.Window, asOf time.Time) [][]byte {
	return t.newest(stream, w, asOf, false)
}

// newest returns the newest visible version of each record of the window
// whose archivability is archivable.
func (t *Tenant) newest(stream string, w audit.Window, asOf time.Time, archivable bool) [][]byte {
	ss := t.streams[stream]
	if ss == nil {
		return nil
	}
	now := toTicks(asOf)
	lo, hi := ss.tl.indexes(t.retained(w, now))
	var out []truthEntry
	for i := lo; i < hi; i++ {
		if ss.gen.archivable(i) != archivable {
			continue
		}
		at := ss.tl.time(i)
		lc := ss.vis.lifecycle(i, at)
		if n, ver := lc.entries(now); n > 0 {
			out = append(out, ss.entry(i, at, ver))
		}
	}
	return sortedRaw(out)
}

// AllVersions returns every distinct version of the window's archivable
// records that had become visible by asOf, superseded revisions included.
// Retention is not applied: a version that has since expired was visible
// once.
func (t *Tenant) AllVersions(stream string, w audit.Window, asOf time.Time) [][]byte {
	ss := t.streams[stream]
	if ss == nil {
		return nil
	}
	now := toTicks(asOf)
	lo, hi := ss.tl.indexes(span{from: toTicks(w.From), to: min(toTicks(w.To), now+1)})
	var out []truthEntry
	for i := lo; i < hi; i++ {
		if !ss.gen.archivable(i) {
			continue
		}
		at := ss.tl.time(i)
		lc := ss.vis.lifecycle(i, at)
		for ver := range lc.versionsBy(now) {
			out = append(out, ss.entry(i, at, ver))
		}
	}
	return sortedRaw(out)
}

// Served returns the distinct archivable records sent in complete 200
// responses so far, byte for byte as they were sent (API version,
// evolvable members as the request asked; renderings that came out the
// same count once). It needs Options.TrackServed; otherwise it is empty.
func (t *Tenant) Served(stream string) [][]byte { return t.sent(stream, true) }

// ServedRejects is Served for the records without a readable id or event
// time.
func (t *Tenant) ServedRejects(stream string) [][]byte { return t.sent(stream, false) }

func (t *Tenant) sent(stream string, archivable bool) [][]byte {
	ss := t.streams[stream]
	if ss == nil {
		return nil
	}
	t.mu.Lock()
	keys := make([]servedKey, 0, len(t.served[stream]))
	for k := range t.served[stream] {
		if ss.gen.archivable(k.index) == archivable {
			keys = append(keys, k)
		}
	}
	t.mu.Unlock()
	out := make([]truthEntry, 0, len(keys))
	for _, k := range keys {
		e := truthEntry{time: ss.tl.time(k.index), version: k.version}
		e.id = ss.gen.appendID(nil, k.index)
		e.raw = ss.gen.appendServed(nil, k.index, k.version, k.shape)
		out = append(out, e)
	}
	return slices.CompactFunc(sortedRaw(out), bytes.Equal)
}

// Count returns how many archivable entries a complete query of the window
// at asOf returns, re-published copies included, without building any
// record.
func (t *Tenant) Count(stream string, w audit.Window, asOf time.Time) int {
	ss := t.streams[stream]
	if ss == nil {
		return 0
	}
	now := toTicks(asOf)
	lo, hi := ss.tl.indexes(t.retained(w, now))
	total := 0
	for i := lo; i < hi; i++ {
		if !ss.gen.archivable(i) {
			continue
		}
		lc := ss.vis.lifecycle(i, ss.tl.time(i))
		n, _ := lc.entries(now)
		total += n
	}
	return total
}

// retained is the part of w a query at now can still see: within retention
// and not in the future.
func (t *Tenant) retained(w audit.Window, now int64) span {
	from := toTicks(w.From)
	if w.From.IsZero() {
		from = math.MinInt64
	}
	return span{
		from: max(from, now-durTicks(t.retention())),
		to:   min(toTicks(w.To), now+1),
	}
}

type truthEntry struct {
	time    int64  // the event time, hidden or not
	id      []byte // the id, hidden or not
	version int
	raw     []byte
}

// entry renders record i, version ver, in the stream's canonical shape.
func (ss *streamSim) entry(i, at int64, ver int) truthEntry {
	return truthEntry{
		time:    at,
		id:      ss.gen.appendID(nil, i),
		version: ver,
		raw:     ss.gen.appendServed(nil, i, ver, ss.canonical()),
	}
}

// canonical is the shape ground truth renders a stream in: its own API
// version, evolvable enum members as they are.
func (ss *streamSim) canonical() shape {
	return shape{beta: ss.stream.APIVersion == "beta", allEnums: true}
}

func sortedRaw(es []truthEntry) [][]byte {
	slices.SortStableFunc(es, func(a, b truthEntry) int {
		if c := cmp.Compare(a.time, b.time); c != 0 {
			return c
		}
		if c := bytes.Compare(a.id, b.id); c != 0 {
			return c
		}
		if c := cmp.Compare(a.version, b.version); c != 0 {
			return c
		}
		return bytes.Compare(a.raw, b.raw)
	})
	out := make([][]byte, len(es))
	for k, e := range es {
		out[k] = e.raw
	}
	return out
}

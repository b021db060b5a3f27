package job

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/manifest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// checkChain checks every manifest of the stream: it lists exactly the
// partition's blobs with their stored hashes, and each names its predecessor
// by hash, up to the head recorded in the state.
func checkChain(t *testing.T, h *harness, st state.State) (lost []audit.Partition) {
	t.Helper()
	ctx := context.Background()
	l := layout.Layout{}
	prev, prevSHA := "", ""
	n := 0
	for p := h.set.Partition.Of(st.Start); p.End().Compare(st.SealedThrough) <= 0; p = p.Next() {
		name := l.ManifestName(h.set.Tenant, h.set.Stream.Name, p)
		rc, err := h.sink.Open(ctx, name)
		if err != nil {
			t.Fatalf("manifest of %s: %v", p.Label(), err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		m, err := manifest.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Previous != prev || m.PreviousSHA256 != prevSHA {
			t.Fatalf("%s links to %q %q, want %q %q", name, m.Previous, m.PreviousSHA256, prev, prevSHA)
		}
		listed := map[string]string{}
		err = h.sink.List(ctx, l.PartitionDir(h.set.Tenant, h.set.Stream.Name, p), func(o archive.Object) error {
			if !strings.HasSuffix(o.Name, "_manifest.json") {
				listed[layout.BaseName(o.Name)] = archive.MetaGet(o.Metadata, archive.MetaSHA256)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if m.Lost != "" {
			lost = append(lost, p)
		}
		if len(listed) != len(m.Blobs) || (len(listed) == 0) != (m.Lost != "") {
			t.Fatalf("%s lists %d blobs (lost: %q), partition holds %d", name, len(m.Blobs), m.Lost, len(listed))
		}
		for _, b := range m.Blobs {
			if listed[b.Name] != b.SHA256 {
				t.Fatalf("%s: blob %s hash %s, stored %s", name, b.Name, b.SHA256, listed[b.Name])
			}
		}
		prev, prevSHA = strings.TrimPrefix(name, l.StreamDir(h.set.Tenant, h.set.Stream.Name)), manifest.Hash(data)
		n++
	}
	if prev != st.LastManifest || prevSHA != st.LastManifestSHA256 {
		t.Fatalf("state head %q %q, chain ends at %q %q", st.LastManifest, st.LastManifestSHA256, prev, prevSHA)
	}
	return lost
}

// faultySink fails the n-th Put (counting from 1) after optionally storing
// the blob, like a process killed before or after an upload completes.
type faultySink struct {
	archive.Sink
	puts      *atomic.Int32
	failAt    int32
	afterSave bool
}

var errInjected = errors.New("injected failure")

func (f faultySink) Put(ctx context.Context, name string, body io.ReadSeeker, size int64, meta map[string]string) error {
	if f.puts.Add(1) != f.failAt {
		return f.Sink.Put(ctx, name, body, size, meta)
	}
	if f.afterSave {
		if err := f.Sink.Put(ctx, name, body, size, meta); err != nil {
			return err
		}
	}
	return errInjected
}

// faultyStore fails the n-th Save, after the blobs it would commit are
// durable: a crash between upload and state commit.
type faultyStore struct {
	state.Store
	saves  *atomic.Int32
	failAt int32
}

func (f faultyStore) Save(ctx context.Context, tenant, stream string, st state.State, version string) (string, error) {
	if f.saves.Add(1) == f.failAt {
		return "", errInjected
	}
	return f.Store.Save(ctx, tenant, stream, st, version)
}

// crashScenario is a busy little stream with late records, a revision and a
// re-published duplicate, archived by runs at three instants.
func crashScenario(h *harness) (runs []time.Time) {
	h.set.Formats = []string{"jsonl", "csv"}
	h.set.Start = Start{Back: 5 * time.Hour}
	h.src.serve(every("c", t0.Add(-5*time.Hour), t0.Add(3*time.Hour), 9*time.Minute, time.Time{}, time.Time{}))
	late := mkrec("late", t0.Add(-100*time.Minute), "")
	h.src.add(version{rec: late, visible: t0.Add(10 * time.Minute)})
	a, b := mkrec("rev", t0.Add(-30*time.Minute), "A"), mkrec("rev", t0.Add(-30*time.Minute), "B")
	h.src.add(version{rec: a, until: t0.Add(20 * time.Minute)})
	h.src.add(version{rec: b, visible: t0.Add(20 * time.Minute)})
	dup := mkrec("dup", t0.Add(-31*time.Minute), "")
	h.src.add(version{rec: dup})
	h.src.add(version{rec: dup, visible: t0.Add(25 * time.Minute)})
	return []time.Time{t0, t0.Add(30 * time.Minute), t0.Add(2*time.Hour + 30*time.Minute)}
}

// archiveAfter runs the scenario; inject (if set) arms a fault for the
// first run at each instant, and the run is then repeated, as a restart
// would. It returns the archived records and parts.
func archiveAfter(t *testing.T, inject func(h *harness) func()) ([]string, []string) {
	h := newHarness(t)
	for _, at := range crashScenario(h) {
		h.clock.Set(at)
		if inject != nil {
			disarm := inject(h)
			_, err := h.job().Run(context.Background())
			disarm()
			if err != nil && !errors.Is(err, errInjected) {
				t.Fatalf("run at %s: %v", at, err)
			}
		}
		h.run()
	}
	parts := h.readArchive()
	for _, p := range parts {
		if p.format == "csv" {
			continue
		}
		if _, ok := findPart(parts, p.p, p.number, "csv"); !ok {
			t.Errorf("part %s has no csv sibling", p.name)
		}
	}
	checkP000(t, h, parts)
	checkChain(t, h, h.state())
	return h.jsonlRecords(parts), partNames(parts)
}

func findPart(parts []storedPart, p audit.Partition, n int, f string) (storedPart, bool) {
	for _, sp := range parts {
		if sp.p == p && sp.number == n && sp.format == f {
			return sp, true
		}
	}
	return storedPart{}, false
}

// checkP000 checks that every partition below the watermark has parts
// numbered from p000 without gaps.
func checkP000(t *testing.T, h *harness, parts []storedPart) {
	t.Helper()
	st := h.state()
	numbers := map[audit.Partition][]int{}
	for _, p := range parts {
		if p.format == "jsonl" {
			numbers[p.p] = append(numbers[p.p], p.number)
		}
	}
	for p := audit.Hour.Of(st.Start); p.Start.Before(st.Watermark); p = p.Next() {
		ns := numbers[p]
		for i := range ns {
			if !containsInt(ns, i) {
				t.Errorf("partition %s parts %v: missing p%03d", p.Label(), ns, i)
			}
		}
		if len(ns) == 0 {
			t.Errorf("partition %s below the watermark has no p000", p.Label())
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestCrashAtEveryStepLeavesTheSameArchive stops runs at each step of a
// window — mid-download, after some blobs are stored, after an upload but
// before the state commit — and shows that the next run leaves the same
// records as an uninterrupted run: nothing lost, nothing twice.
func TestCrashAtEveryStepLeavesTheSameArchive(t *testing.T) {
	want, _ := archiveAfter(t, nil)
	if len(want) < 50 {
		t.Fatalf("scenario too small: %d records", len(want))
	}
	type point struct {
		name   string
		inject func(n int32) func(h *harness) func()
	}
	points := []point{
		{"mid-download", func(n int32) func(h *harness) func() {
			return func(h *harness) func() {
				calls := int32(0)
				h.src.fail = func(int, audit.Window) error {
					if calls++; calls == n {
						return errInjected
					}
					return nil
				}
				return func() { h.src.fail = nil }
			}
		}},
		{"before-upload", func(n int32) func(h *harness) func() {
			return func(h *harness) func() {
				h.sinkFn = func(s archive.Sink) archive.Sink { return faultySink{Sink: s, puts: new(atomic.Int32), failAt: n} }
				return func() { h.sinkFn = nil }
			}
		}},
		{"after-upload", func(n int32) func(h *harness) func() {
			return func(h *harness) func() {
				h.sinkFn = func(s archive.Sink) archive.Sink {
					return faultySink{Sink: s, puts: new(atomic.Int32), failAt: n, afterSave: true}
				}
				return func() { h.sinkFn = nil }
			}
		}},
		{"before-commit", func(n int32) func(h *harness) func() {
			return func(h *harness) func() {
				orig := h.store
				h.store = faultyStore{Store: orig, saves: new(atomic.Int32), failAt: n}
				return func() { h.store = orig }
			}
		}},
	}
	for _, pt := range points {
		for _, n := range []int32{1, 2, 3, 5, 8, 13} {
			t.Run(fmt.Sprintf("%s/%d", pt.name, n), func(t *testing.T) {
				got, _ := archiveAfter(t, pt.inject(n))
				if d := diffStrings(got, want); d != "" {
					t.Fatal(d)
				}
			})
		}
	}
}

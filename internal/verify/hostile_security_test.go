package verify

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/archive/read"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// hostileCopies is the size of a tampered part: each copy of one record
// costs a reader that does not bound them about 300 bytes of heap when it
// reports the copy, so holding them would be 60 MB.
const hostileCopies = 200_000

// TestSecurityHostilePartBounded: a part whose 200,000 records share one
// (time, id), stored with metadata that matches (records, sha256), so only
// the bound on versions of one record catches it. verify reports it as a
// fault naming the blob, and neither lists every copy nor holds them: the
// heap grows by a small fraction of what the copies would take. A part of
// records each stored twice is reported without a fault per copy.
func TestSecurityHostilePartBounded(t *testing.T) {
	at := time.Date(2026, 11, 20, 3, 17, 0, 0, time.UTC)
	same := mkrec("same", at, strings.Repeat("x", 200))
	// numbered is same with i at the end of its note: built without fmt,
	// which would take most of the test's time under -race.
	head := slices.Clip(same.Raw[:len(same.Raw)-2]) // up to the note's closing `"}`
	numbered := func(i int) audit.Record {
		raw := strconv.AppendInt(append(head, ' '), int64(i), 10)
		return audit.Record{ID: same.ID, Time: at, Raw: append(raw, '"', '}')}
	}
	for _, tc := range []struct {
		name string
		n    int
		rec  func(i int) audit.Record
		want string
	}{
		{"one record, one content", hostileCopies, func(int) audit.Record { return same }, read.ErrTooManyVersions.Error()},
		{"one record, distinct contents", hostileCopies, func(i int) audit.Record { return numbered(i) }, read.ErrTooManyVersions.Error()},
		// Within the bound on versions, but a fault per copy all the same;
		// the part is read to its end, so it is smaller (-race).
		{"every record twice", hostileCopies / 10, func(i int) audit.Record { return mkrec(fmt.Sprintf("r%06d", i/2), at, "twice") }, "more records are stored twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink, err := local.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			j := testJob
			j.Formats = []string{"jsonl"}
			name := partstest.Put(t, sink, testLay, layout.Part{Tenant: j.Tenant, Stream: j.Stream.Name, Partition: audit.Hour.Of(at), Format: "jsonl", Gzip: true},
				tenantID, tc.n, tc.rec)

			started := time.Now()
			var rep Report
			grew := heapGrowth(t, func() {
				rep, err = Run(t.Context(), Options{Sink: sink, Layout: testLay, State: state.DocStore{Sink: sink, Layout: testLay}, Jobs: []Job{j}})
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("verified in %s, heap grew by at most %d KiB, %d faults", time.Since(started).Round(time.Millisecond), grew>>10, len(rep.Faults))
			checkFaults(t, rep.Faults, want{name, tc.want})
			if len(rep.Faults) > 25 {
				t.Errorf("%d faults for one tampered part: every copy listed", len(rep.Faults))
			}
			if linear := uint64(tc.n * 300); tc.n == hostileCopies && grew > linear/8 {
				t.Errorf("heap grew by %d KiB while verifying; holding every copy would be about %d KiB", grew>>10, linear>>10)
			}
		})
	}
}

// heapGrowth runs fn and returns by how much the live heap grew above what
// it was before, at most, sampled every millisecond.
func heapGrowth(t *testing.T, fn func()) uint64 {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	fn()
	runtime.GC()
	close(done)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	peak = max(peak, ms.HeapAlloc)
	if peak < base {
		return 0
	}
	return peak - base
}

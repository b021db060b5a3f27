package job

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// sorterInput is n records with random times (many equal) and sizes, in
// random order, including one record larger than an arena chunk.
func sorterInput(n int, seed uint64) []audit.Record {
	rnd := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]audit.Record, n)
	for i := range recs {
		id := fmt.Sprintf("id-%06d", rnd.IntN(n))
		size := 20 + rnd.IntN(300)
		if i == n/2 {
			size = maxChunk
		}
		raw := fmt.Appendf(nil, `{"id":%q,"pad":%q}`, id, bytes.Repeat([]byte{'a' + byte(i%26)}, size))
		recs[i] = audit.Record{ID: id, Time: base.Add(time.Duration(rnd.IntN(n/4)) * time.Second), Raw: raw}
	}
	return recs
}

func sortedAll(t *testing.T, s *sorter) []audit.Record {
	t.Helper()
	it, err := s.Sorted()
	if err != nil {
		t.Fatal(err)
	}
	var out []audit.Record
	for {
		rec, err := it.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
}

func sameRecords(t *testing.T, got, want []audit.Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || !got[i].Time.Equal(want[i].Time) || !bytes.Equal(got[i].Raw, want[i].Raw) {
			t.Fatalf("record %d: got %s %v, want %s %v", i, got[i].ID, got[i].Time, want[i].ID, want[i].Time)
		}
	}
}

func TestSorterOrdersWhateverItSpills(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   int
		wantRuns func(int) bool
	}{
		{"in memory", 64 << 20, func(n int) bool { return n == 0 }},
		{"few runs", 256 << 10, func(n int) bool { return n > 1 && n < 100 }},
		// More runs than mergeBuffers/16 KiB: the read buffers shrink to
		// their minimum, the merge must still be exact.
		{"many runs", 4 << 10, func(n int) bool { return n > mergeBuffers/(16<<10) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := sorterInput(12000, 7)
			want := slices.Clone(in)
			slices.SortStableFunc(want, func(a, b audit.Record) int { return audit.Compare(&a, &b) })
			b := NewSortBudget(tc.budget)
			s := newSorter(t.TempDir(), b)
			defer s.Close()
			for _, rec := range in {
				if err := s.Add(rec); err != nil {
					t.Fatal(err)
				}
			}
			if !tc.wantRuns(len(s.runs)) {
				t.Fatalf("%d spilled runs for a budget of %d", len(s.runs), tc.budget)
			}
			got := sortedAll(t, s)
			sameRecords(t, got, want)
			s.Close()
			if free := b.free.Load(); free != b.total {
				t.Fatalf("after Close the budget has %d of %d bytes free", free, b.total)
			}
		})
	}
}

// Two sorters share a budget: while one holds most of it, the other spills
// at its floor, and once the first is done the second may grow again.
func TestSortBudgetIsShared(t *testing.T) {
	b := NewSortBudget(4 << 20)
	big := newSorter(t.TempDir(), b)
	defer big.Close()
	for _, rec := range sorterInput(20000, 5) {
		if big.held >= int(b.total)/2 {
			break
		}
		if err := big.Add(rec); err != nil {
			t.Fatal(err)
		}
	}
	if big.held < int(b.total)/2 || len(big.runs) > 0 {
		t.Fatalf("the first sorter holds %d bytes of grants and spilled %d runs, want half of %d in memory", big.held, len(big.runs), b.total)
	}
	in := sorterInput(4000, 3)
	spills := func(s *sorter, recs []audit.Record) int {
		for _, rec := range recs {
			if err := s.Add(rec); err != nil {
				t.Fatal(err)
			}
		}
		return len(s.runs)
	}
	starved := newSorter(t.TempDir(), b)
	defer starved.Close()
	starvedRuns := spills(starved, in)
	big.Close()
	alone := newSorter(t.TempDir(), b)
	defer alone.Close()
	aloneRuns := spills(alone, in)
	if starvedRuns <= aloneRuns {
		t.Fatalf("a sorter beside one holding the budget spilled %d runs, alone %d: the budget is not shared", starvedRuns, aloneRuns)
	}
	want := slices.Clone(in)
	slices.SortStableFunc(want, func(a, b audit.Record) int { return audit.Compare(&a, &b) })
	sameRecords(t, sortedAll(t, starved), want)
	sameRecords(t, sortedAll(t, alone), want)
}

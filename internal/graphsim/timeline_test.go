package graphsim

import (
	"math"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestTimelineOrderAndInverse(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, volume := range []float64{0.5, 7, 3600, 1e6, 3e9} {
		tl := newTimeline(stringSalt(3, "x"), epoch, time.Time{}, volume)
		const n = 20000
		digits := map[int]int{}
		ties := 0
		prev := int64(math.MinInt64)
		for i := int64(0); i < n; i++ {
			at, d := tl.at(i)
			digits[d]++
			if at < prev {
				t.Fatalf("volume %g: time(%d) = %d < time(%d) = %d", volume, i, at, i-1, prev)
			}
			if at == prev {
				ties++
			}
			if at < tl.epoch {
				t.Fatalf("volume %g: record %d before the epoch", volume, i)
			}
			// the written form parses back to the same instant
			parsed, err := audit.ParseTime(string(appendTime(nil, at, d)))
			if err != nil || toTicks(parsed) != at {
				t.Fatalf("volume %g: %s does not round-trip: %v", volume, appendTime(nil, at, d), err)
			}
			prev = at
		}
		// (20000 records at 3e9/h span less than a second.)
		if (volume < 1e9 && (digits[0] == 0 || digits[3] == 0)) || digits[7] == 0 || ties == 0 {
			t.Errorf("volume %g: digits %v, ties %d: want all forms and some ties", volume, digits, ties)
		}
		// lowerBound agrees with a linear scan, including at exact record times.
		for _, i := range []int64{0, 1, 2, 17, 4999, n - 2} {
			at := tl.time(i)
			for _, probe := range []int64{at - 1, at, at + 1} {
				want := int64(0)
				for want < n && tl.time(want) < probe {
					want++
				}
				if got := tl.lowerBound(probe); got != want {
					t.Fatalf("volume %g: lowerBound(%d) = %d, want %d", volume, probe, got, want)
				}
			}
		}
	}
}

func TestTimelineUntil(t *testing.T) {
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := epoch.Add(10 * time.Hour)
	tl := newTimeline(9, epoch, until, 100)
	lo, hi := tl.indexes(span{from: toTicks(epoch), to: toTicks(epoch.Add(20 * time.Hour))})
	if lo != 0 || hi < 990 || hi > 1010 {
		t.Fatalf("indexes [%d, %d), want about 1000 records before Until", lo, hi)
	}
	if tl.time(hi-1) >= tl.end || tl.time(hi) < tl.end {
		t.Fatal("Until is not the exclusive end")
	}
	empty := newTimeline(9, epoch, time.Time{}, 0)
	if lo, hi := empty.indexes(span{from: 0, to: math.MaxInt64}); lo != hi {
		t.Fatal("a stream without volume has records")
	}
}

func TestLifecycle(t *testing.T) {
	v := visibility{salt: 5, late: Late{Fraction: 0.5, Min: time.Hour, Max: 2 * time.Hour}, republish: 0.5, revise: 0.5}
	late, copies, revised := 0, 0, 0
	for i := int64(0); i < 2000; i++ {
		lc := v.lifecycle(i, 1000)
		delay := lc.visible - 1000
		if delay != 0 {
			late++
			if delay < durTicks(time.Hour) || delay > durTicks(2*time.Hour) {
				t.Fatalf("delay %d outside [Min, Max]", delay)
			}
		}
		if n, _ := lc.entries(lc.visible - 1); n != 0 {
			t.Fatal("visible before its time")
		}
		if n, ver := lc.entries(lc.visible); n != 1 || ver != 0 {
			t.Fatalf("at first visibility: %d entries of version %d", n, ver)
		}
		if lc.copyAt != 0 {
			copies++
			if lc.copyAt <= lc.visible {
				t.Fatal("copy visible before the original")
			}
			if n, _ := lc.entries(lc.copyAt); n != 2 && (lc.nrev == 0 || lc.revs[0] > lc.copyAt) {
				t.Fatal("copy not served")
			}
		}
		if lc.nrev > 0 {
			revised++
			last := lc.revs[lc.nrev-1]
			if n, ver := lc.entries(last); n != 1 || ver != lc.nrev {
				t.Fatalf("after the last revision: %d entries of version %d", n, ver)
			}
			if lc.versionsBy(last) != lc.nrev+1 || lc.versionsBy(last-1) != lc.nrev {
				t.Fatal("versionsBy miscounts")
			}
		}
	}
	for name, n := range map[string]int{"late": late, "copies": copies, "revised": revised} {
		if n < 700 || n > 1300 {
			t.Errorf("%s: %d of 2000, want about half", name, n)
		}
	}
}

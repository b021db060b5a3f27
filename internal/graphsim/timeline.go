package graphsim

import (
	"math"
	"time"
)

// timeline maps record indexes to event times and back. Record i sits near
// epoch + i*period with a jitter smaller than the spacing; some records show
// their time with 0 or 3 fractional digits (truncated, when that keeps the
// order) and about 2% repeat their predecessor's instant, so ties happen. The
// event time is a non-decreasing function of i.
type timeline struct {
	salt   uint64
	epoch  int64   // ticks
	period float64 // ticks per record; +Inf without volume
	jitter int64   // exclusive bound of the per-record jitter
	end    int64   // no record has event time >= end
}

func newTimeline(salt uint64, epoch time.Time, until time.Time, volume float64) timeline {
	tl := timeline{salt: salt, epoch: toTicks(epoch), period: math.Inf(1), end: math.MaxInt64}
	if !until.IsZero() {
		tl.end = toTicks(until)
	}
	if volume > 0 {
		tl.period = float64(time.Hour/tickNanos) / volume
		// Floor rounding of i*period can lose one tick; a jitter bound one
		// below the spacing keeps base strictly increasing.
		if j := int64(tl.period) - 1; j >= 2 {
			tl.jitter = j
		}
	}
	return tl
}

// empty reports a stream without records.
func (tl *timeline) empty() bool { return math.IsInf(tl.period, 1) }

// base is record i's time before precision and ties: strictly increasing.
func (tl *timeline) base(i int64) int64 {
	b := tl.epoch + int64(float64(i)*tl.period)
	if tl.jitter > 0 {
		b += int64(hash3(tl.salt, saltJitter, i) % uint64(tl.jitter))
	}
	return b
}

// isTie reports whether record i repeats the instant of record i-1. A tie
// never follows a tie.
func (tl *timeline) isTie(i int64) bool {
	tie := func(k int64) bool { return k > 0 && hash3(tl.salt, saltPrecision, k)%50 == 7 }
	return tie(i) && !tie(i-1)
}

// own is record i's time ignoring ties, and the fractional digits it is
// written with. Truncation to whole seconds or milliseconds is kept only when
// the result stays after the previous record's base time, which keeps the
// sequence ordered.
func (tl *timeline) own(i int64) (int64, int) {
	b := tl.base(i)
	prev := tl.epoch - 1
	if i > 0 {
		prev = tl.base(i - 1)
	}
	switch hash3(tl.salt, saltPrecision, i) >> 60 {
	case 0, 1: // 1 in 8: whole seconds
		if t := b - b%ticksPerSec; t > prev {
			return t, 0
		}
	case 2, 3, 4: // 3 in 16: milliseconds
		if t := b - b%ticksPerMs; t > prev {
			return t, 3
		}
	}
	return b, 7
}

// at is record i's event time (ticks) and its fractional digits.
func (tl *timeline) at(i int64) (int64, int) {
	if tl.isTie(i) {
		t, _ := tl.own(i - 1)
		return t, 7 // the same instant, written differently
	}
	return tl.own(i)
}

// time is record i's event time in ticks.
func (tl *timeline) time(i int64) int64 {
	t, _ := tl.at(i)
	return t
}

// lowerBound returns the first index whose event time is >= t, capped at the
// number of records before end.
func (tl *timeline) lowerBound(t int64) int64 {
	if tl.empty() {
		return 0
	}
	if t > tl.end {
		t = tl.end
	}
	if t <= tl.epoch {
		return 0
	}
	// time(i) > base(i-2) for every i, so base(hi-2) >= t bounds the search.
	hi := int64(math.Ceil(float64(t-tl.epoch)/tl.period)) + 3
	lo := int64(0)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if tl.time(mid) >= t {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// span is a range of ticks as bounds: from <= time < to.
type span struct{ from, to int64 }

// indexes maps a span of event time to the half-open index range it holds.
func (tl *timeline) indexes(s span) (lo, hi int64) {
	if s.to <= s.from {
		return 0, 0
	}
	return tl.lowerBound(s.from), tl.lowerBound(s.to)
}

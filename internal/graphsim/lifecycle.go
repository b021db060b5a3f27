package graphsim

import "time"

// maxRevisions bounds how often one record is revised.
const maxRevisions = 2

// republishBlock is how many consecutive records Microsoft re-publishes
// together: re-publishing happens to batches, not to single records.
const republishBlock = 50

// lifecycle is when each version of one record becomes visible, in ticks.
type lifecycle struct {
	visible int64 // version 0
	copyAt  int64 // identical re-published copy of version 0; 0 = none
	revs    [maxRevisions]int64
	nrev    int
}

// visibility holds the per-stream knobs of the lifecycle.
type visibility struct {
	salt           uint64
	late           Late
	tail           Late // the late tail (TenantConfig.LateTail, resolved)
	republish      float64
	revise         float64
	republishDelay Delay
	reviseDelay    Delay
}

// Graph's observed delays, the defaults of TenantConfig.
var (
	defaultRepublishDelay = Delay{Min: 10 * time.Minute, Max: 3*time.Hour + 10*time.Minute}
	defaultReviseDelay    = Delay{Min: 5 * time.Minute, Max: 2 * time.Hour}
	// defaultLateTail: a few records arrive after a 24 h recheck and before
	// a 72 h one.
	defaultLateTail = Late{Fraction: 0.002, Min: 20 * time.Hour, Max: 30 * time.Hour}
)

// resolveLateTail applies TenantConfig.LateTail's defaults.
func resolveLateTail(tail Late) Late {
	switch {
	case tail == Late{}:
		return defaultLateTail
	case tail.Fraction < 0:
		return Late{}
	}
	return tail
}

// delay draws whether record i is late and by how much; kind separates the
// draws of Late and LateTail.
func (l Late) delay(salt, kind uint64, i int64) time.Duration {
	if l.Fraction <= 0 || unit(hash3(salt, kind, i)) >= l.Fraction {
		return 0
	}
	return l.Min + time.Duration(unit(hash3(salt, kind, ^i))*float64(l.Max-l.Min))
}

func (d Delay) draw(u float64) time.Duration {
	return d.Min + time.Duration(u*float64(d.Max-d.Min))
}

// lifecycle computes record i's lifecycle from its event time t.
func (v *visibility) lifecycle(i int64, t int64) lifecycle {
	delay := max(v.late.delay(v.salt, saltLate, i), v.tail.delay(v.salt, saltLateTail, i))
	lc := lifecycle{visible: t + durTicks(delay)}
	if v.republish > 0 {
		h := hash3(v.salt, saltRepublish, i/republishBlock)
		if unit(h) < v.republish {
			lc.copyAt = lc.visible + durTicks(v.republishDelay.or(defaultRepublishDelay).draw(unit(splitmix(h))))
		}
	}
	if v.revise > 0 {
		h := hash3(v.salt, saltRevise, i)
		if unit(h) < v.revise {
			lc.nrev = 1
			if splitmix(h)%5 == 0 {
				lc.nrev = 2
			}
			at := lc.visible
			for j := 0; j < lc.nrev; j++ {
				h = splitmix(h + uint64(j))
				// MFA details are aggregated into a sign-in for up to 2 h.
				at += durTicks(v.reviseDelay.or(defaultReviseDelay).draw(unit(h)))
				lc.revs[j] = at
			}
		}
	}
	return lc
}

// entries is what a query at instant now returns for the record: how many
// entries (0, 1, or 2 while a re-published copy of version 0 is current) and
// the version they carry.
func (lc *lifecycle) entries(now int64) (n, version int) {
	if lc.visible > now {
		return 0, 0
	}
	for j := 0; j < lc.nrev; j++ {
		if lc.revs[j] <= now {
			version = j + 1
		}
	}
	if version == 0 && lc.copyAt != 0 && lc.copyAt <= now {
		return 2, 0
	}
	return 1, version
}

// versionsBy is how many versions of the record had become visible by now
// (0 when none), superseded ones included.
func (lc *lifecycle) versionsBy(now int64) int {
	if lc.visible > now {
		return 0
	}
	n := 1
	for j := 0; j < lc.nrev; j++ {
		if lc.revs[j] <= now {
			n = j + 2
		}
	}
	return n
}

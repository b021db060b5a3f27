package graphsim

import (
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// TestLateTail: by default about 0.2 % of the records appear 20 to 30 hours
// after their event time: a 24 h recheck misses some, a 72 h one finds them
// all, and Graph serves exactly what the ground truth says at each instant.
func TestLateTail(t *testing.T) {
	s, clock := startSim(t, func(o *Options) {
		o.Tenants[0].Volume = map[string]float64{"directory-audits": 8000}
		o.Tenants[0].TokenLifetime = 100 * time.Hour
	})
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	st := audit.DirectoryAudits
	w := audit.Window{From: testNow.Add(-2 * time.Hour), To: testNow.Add(-time.Hour)}
	before := ten.Count(st.Name, w, w.From.Add(20*time.Hour-time.Nanosecond))
	total := ten.Count(st.Name, w, w.To.Add(72*time.Hour))
	if tail := total - before; tail < 5 || tail > 35 {
		t.Fatalf("%d of %d records arrive 20 h late or more, want about 0.2 %%", tail, total)
	}
	if n := ten.Count(st.Name, w, w.To.Add(30*time.Hour)); n != total {
		t.Errorf("30 h after the window %d of %d records are visible", n, total)
	}
	var missed int
	for _, after := range []time.Duration{24 * time.Hour, 72 * time.Hour} { // the rechecks
		clock.Set(w.To.Add(after))
		got, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w)))
		got = sortedUnique(t, st, inWindow(t, st, w, got))
		equalRecords(t, "recheck at "+after.String(), got, ten.Visible(st.Name, w, clock.Now()))
		if after == 24*time.Hour {
			missed = total - len(got)
		}
	}
	if missed == 0 {
		t.Error("a 24 h recheck finds every record: no late tail")
	}

	// With Late set too, the tail still comes; off, nothing is late at all.
	for _, c := range []struct {
		late, tail Late
		wantTail   bool
	}{
		{Late{Fraction: 0.5, Min: time.Hour, Max: 2 * time.Hour}, Late{}, true},
		{Late{}, Late{Fraction: -1}, false},
	} {
		cfg := baseTenant()
		cfg.Volume = map[string]float64{"directory-audits": 8000}
		cfg.Late, cfg.LateTail = c.late, c.tail
		ss := testGen(t, cfg, st.Name)
		tail := 0
		for i := int64(0); i < 8000; i++ {
			at := ss.tl.time(i)
			if d := ss.vis.lifecycle(i, at).visible - at; d >= durTicks(20*time.Hour) {
				tail++
			} else if d > durTicks(c.late.Max) {
				t.Fatalf("record %d: %v late, beyond Late and LateTail", i, fromTicks(d).Sub(time.Unix(0, 0)))
			}
		}
		if (tail > 0) != c.wantTail {
			t.Errorf("Late %+v, LateTail %+v: %d records in the tail", c.late, c.tail, tail)
		}
	}
}

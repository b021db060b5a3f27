package graphsim

import (
	"bytes"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// ids returns the id of every record, in order.
func ids(t *testing.T, st audit.Stream, recs [][]byte) []string {
	out := make([]string, len(recs))
	for k, r := range recs {
		rec, err := audit.ParseRecord(r, st.TimeField)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = rec.ID
	}
	return out
}

func TestLateVisibility(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Late = Late{Fraction: 0.5, Min: time.Hour, Max: 2 * time.Hour}
		o.Tenants[0].LateTail = Late{Fraction: -1} // all in by Max
	})
	ten := s.Tenant(testTenant)
	st := audit.DirectoryAudits
	w := audit.Window{From: testNow.Add(-10 * time.Hour), To: testNow.Add(-9 * time.Hour)}
	var counts []int
	for _, after := range []time.Duration{0, 30 * time.Minute, 90 * time.Minute, 2 * time.Hour, 3 * time.Hour} {
		counts = append(counts, len(ten.Visible(st.Name, w, w.To.Add(after))))
	}
	total := counts[len(counts)-1]
	if total < 380 || total > 420 {
		t.Fatalf("%d records in an hour at 400/h", total)
	}
	if counts[0] < total*35/100 || counts[0] > total*65/100 {
		t.Errorf("at the window's end %d of %d visible, want about half", counts[0], total)
	}
	for k := 1; k < len(counts); k++ {
		if counts[k] < counts[k-1] {
			t.Fatalf("visible counts shrink: %v", counts)
		}
	}
	if counts[3] != total {
		t.Errorf("2h after the window (Max) %d of %d visible", counts[3], total)
	}
	if counts[1] == counts[2] {
		t.Errorf("nothing arrived between 30m and 90m late: %v", counts)
	}
}

func TestRepublishAndRevise(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Republish = 1
		o.Tenants[0].Revise = 0.3
		o.Tenants[0].LateTail = Late{Fraction: -1} // nothing late
	})
	ten := s.Tenant(testTenant)
	st := audit.InteractiveSignIns
	w := audit.Window{From: testNow.Add(-20 * time.Hour), To: testNow.Add(-19 * time.Hour)}
	early, late := w.To, w.To.Add(12*time.Hour)

	visEarly, visLate := ten.Visible(st.Name, w, early), ten.Visible(st.Name, w, late)
	if len(visEarly) != len(visLate) {
		t.Fatalf("visible records %d then %d: without Late none should appear later", len(visEarly), len(visLate))
	}
	idsEarly, idsLate := ids(t, st, visEarly), ids(t, st, visLate)
	changed := 0
	for k := range visEarly {
		if idsEarly[k] != idsLate[k] {
			t.Fatalf("record %d: id %s became %s", k, idsEarly[k], idsLate[k])
		}
		if !bytes.Equal(visEarly[k], visLate[k]) {
			changed++
		}
	}
	if changed < len(visEarly)/5 || changed > len(visEarly)*2/5 {
		t.Errorf("%d of %d records revised, want about 30%%", changed, len(visEarly))
	}

	all := ten.AllVersions(st.Name, w, late)
	versions := map[string]int{}
	for _, id := range ids(t, st, all) {
		versions[id]++
	}
	revised := 0
	for _, n := range versions {
		if n > 1 {
			revised++
		}
	}
	if len(versions) != len(visLate) || revised < changed {
		t.Fatalf("AllVersions: %d ids (want %d), %d revised (want >= %d)", len(versions), len(visLate), revised, changed)
	}
	// Every record re-published: once the copies are out, each unrevised
	// record is served twice, a revised one once.
	if n := ten.Count(st.Name, w, late); n != 2*len(visLate)-revised {
		t.Errorf("Count = %d, want %d", n, 2*len(visLate)-revised)
	}
	if n := ten.Count(st.Name, w, early); n >= 2*len(visEarly) || n < len(visEarly) {
		t.Errorf("Count at the window's end = %d of %d records: copies should still be arriving", n, len(visEarly))
	}

	for _, v := range append(visEarly, visLate...) {
		if !containsBytes(all, v) {
			t.Fatalf("AllVersions lacks a version that was visible: %.200s", v)
		}
	}
	if first := ten.AllVersions(st.Name, w, early); len(first) >= len(all) {
		t.Errorf("AllVersions at the window's end has %d, later %d", len(first), len(all))
	}
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

func TestRetentionAndFuture(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Epoch = testNow.Add(-40 * 24 * time.Hour)
		o.Tenants[0].Until = testNow.Add(-time.Hour)
	})
	ten := s.Tenant(testTenant)
	st := audit.Provisioning
	old := audit.Window{From: testNow.Add(-35 * 24 * time.Hour), To: testNow.Add(-35*24*time.Hour + time.Hour)}
	if n := len(ten.Visible(st.Name, old, testNow)); n != 0 {
		t.Errorf("%d records beyond 30 days of retention", n)
	}
	if n := len(ten.AllVersions(st.Name, old, testNow)); n == 0 {
		t.Error("AllVersions forgets expired records")
	}
	if n := len(ten.Visible(st.Name, old, old.To)); n == 0 {
		t.Error("nothing visible at the time")
	}
	frozen := audit.Window{From: testNow.Add(-2 * time.Hour), To: testNow.Add(time.Hour)}
	got := ten.Visible(st.Name, frozen, testNow.Add(24*time.Hour))
	if len(got) == 0 {
		t.Fatal("nothing before Until")
	}
	if last := recordTime(t, st, got[len(got)-1]); !last.Before(testNow.Add(-time.Hour)) {
		t.Errorf("record at %v after Until", last)
	}
	future := audit.Window{From: testNow, To: testNow.Add(time.Hour)}
	if n := ten.Count(audit.DirectoryAudits.Name, future, testNow); n != 0 {
		t.Errorf("%d records from the future", n)
	}
	if ten.Visible("no-such-stream", future, testNow) != nil || ten.Count("no-such-stream", future, testNow) != 0 {
		t.Error("unknown stream has records")
	}
}

package graphsim

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// statuses sends u n times and returns the statuses.
func statuses(t *testing.T, s *Server, tok, u string, n int) []int {
	t.Helper()
	out := make([]int, n)
	for k := range out {
		r := getWith(t, s, tok, u, asClient)
		out[k] = r.status
		if r.status == http.StatusForbidden && !isLicenceFlake(r.status, r.body) {
			t.Fatalf("403 that is not the licence one: %s", r.body)
		}
	}
	return out
}

// TestLicenceFlakes: a licensed tenant answers sign-in and provisioning
// requests with the licence 403 now and then, deterministically, mid-paging
// too, but only once it has served such a request; audits never.
func TestLicenceFlakes(t *testing.T) {
	always, _ := startSim(t, func(o *Options) { o.Tenants[0].LicenceFlake = 1 })
	tok := fetchToken(t, always)
	if got := statuses(t, always, tok, recentURL(always, audit.Provisioning, "$top=1"), 3); !slices.Equal(got, []int{200, 403, 403}) {
		t.Errorf("provisioning with LicenceFlake 1: %v, want a first 200, then 403s", got)
	}
	if got := statuses(t, always, tok, recentURL(always, audit.ServicePrincipalSignIns, "$top=1"), 2); !slices.Equal(got, []int{403, 403}) {
		t.Errorf("sign-ins once provisioning was served: %v, want 403s", got)
	}
	if got := statuses(t, always, tok, recentURL(always, audit.DirectoryAudits, "$top=1"), 3); !slices.Equal(got, []int{200, 200, 200}) {
		t.Errorf("directory audits: %v: they need no licence", got)
	}

	run := func() []int {
		s, _ := startSim(t, func(o *Options) {
			o.Tenants[0].LicenceFlake = 0.2
			o.Tenants[0].Faults.Seed = 9
		})
		tok := fetchToken(t, s)
		var seq []int
		for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.Provisioning} {
			seq = append(seq, statuses(t, s, tok, recentURL(s, st, "$top=5"), 30)...)
		}
		// Paging goes on past the flakes and yields the window's truth.
		ten := s.Tenant(testTenant)
		for _, st := range []audit.Stream{audit.NonInteractiveSignIns, audit.Provisioning} {
			w := audit.Window{From: testNow.Add(-3 * time.Hour), To: testNow.Add(-time.Hour)}
			before := ten.Stats().ByStatus[http.StatusForbidden]
			got, _ := fetchAll(t, s, tok, collectionURL(s, st, windowFilter(st, w), "$top=20"))
			equalRecords(t, st.Name+" past licence flakes", sortedUnique(t, st, inWindow(t, st, w, got)), ten.Visible(st.Name, w, testNow))
			if ten.Stats().ByStatus[http.StatusForbidden] == before {
				t.Errorf("%s: no licence 403 while paging: the test proves nothing", st.Name)
			}
		}
		return seq
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("flakes differ between runs with the same seed:\n%v\n%v", a, b)
	}
	if n := len(a) - count(a, 200); n < 4 || n > 24 || a[0] != 200 {
		t.Errorf("%d of %d requests refused (want about 20 %%, the first served): %v", n, len(a), a)
	}

	never, _ := startSim(t, func(o *Options) { o.Tenants[0].LicenceFlake = -1 })
	if got := statuses(t, never, fetchToken(t, never), recentURL(never, audit.Provisioning, "$top=1"), 40); count(got, 200) != 40 {
		t.Errorf("LicenceFlake -1: %v", got)
	}
}

// TestFreeTenantPremiumStreams: a Free tenant gets the licence 403 on
// sign-ins and provisioning every time, and its audits.
func TestFreeTenantPremiumStreams(t *testing.T) {
	s, _ := startSim(t, func(o *Options) { o.Tenants[0].Free = true })
	tok := fetchToken(t, s)
	for _, st := range audit.Streams {
		want := http.StatusForbidden
		if st.Name == audit.DirectoryAudits.Name {
			want = http.StatusOK
		}
		for _, got := range statuses(t, s, tok, recentURL(s, st, "$top=1"), 3) {
			if got != want {
				t.Errorf("Free tenant, %s: %d, want %d", st.Name, got, want)
			}
		}
	}
}

func count(xs []int, v int) int {
	n := 0
	for _, x := range xs {
		if x == v {
			n++
		}
	}
	return n
}

package faults

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// envSoak sets the soak's length (a Go duration); the default suits CI.
const envSoak = "ENTRA_ARCHIVER_SOAK"

const defaultSoak = 75 * time.Second

// heapSlack is how much more heap the app may hold after the soak than
// before it: far less than the records archived meanwhile.
const heapSlack = 8 << 20

// TestSoak runs the daemon in process against a live simulated tenant with
// late, re-published and revised records and random transport faults, for
// 75 seconds (ENTRA_ARCHIVER_SOAK sets another length). The app must not
// hold more heap after the soak than before it (beyond a bound), every
// goroutine it started must be gone in the end, and after a final run past
// the last recheck the archive holds no version twice, nothing Graph did
// not serve, and the latest version of every record.
func TestSoak(t *testing.T) {
	soak := defaultSoak
	if v := os.Getenv(envSoak); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", envSoak, v, err)
		}
		soak = d
	}
	if testing.Short() {
		t.Skip("runs the daemon for", soak)
	}
	// The goroutines of the test binary (and of other tests' leftovers)
	// before the daemon starts are the baseline.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	now := time.Now().UTC()
	streams := []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.DirectoryAudits, audit.Provisioning}
	sim, err := graphsim.Start(graphsim.Options{Dir: t.TempDir(), Tenants: []graphsim.TenantConfig{{
		ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 81,
		Volume: map[string]float64{"interactive-signins": 36000, "noninteractive-signins": 54000,
			"directory-audits": 18000, "provisioning": 7200},
		Epoch:          now.Add(-5 * time.Minute),
		Late:           graphsim.Late{Fraction: 0.3, Min: time.Second, Max: 4 * time.Second},
		Republish:      0.1,
		RepublishDelay: graphsim.Delay{Min: time.Second, Max: 4 * time.Second},
		Revise:         0.05,
		ReviseDelay:    graphsim.Delay{Min: time.Second, Max: 4 * time.Second},
		Faults:         graphsim.Faults{Seed: 9, ServerError: 0.03, Reset: 0.02, Truncate: 0.02, Malformed: 0.02},
		TokenLifetime:  time.Hour,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close() // before goleak looks
	a := newArchiver(t, sim, `  schedule: "@every 1s"
  streams: [interactive-signins, noninteractive-signins, directory-audits, provisioning]
  formats: [jsonl, csv]
  settle: 1s
  recheck: [4s, 12s]
  start: 5m`, nil)

	// The heap is measured when no run is in flight: after a first run
	// has caught up with the backlog, and after the daemon has stopped.
	// What the app still holds then is what it keeps across runs.
	if err := a.Once(context.Background(), "", ""); err != nil {
		t.Fatalf("first once: %v", err)
	}
	before := liveHeap()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, app.RunOptions{}) }()
	time.Sleep(soak)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the daemon stopped with %v", err)
		}
	case <-time.After(app.StopTimeout + 10*time.Second):
		t.Fatal("the daemon did not stop")
	}
	after := liveHeap()
	t.Logf("live heap %.1f MiB before the soak, %.1f MiB after it", float64(before)/(1<<20), float64(after)/(1<<20))
	if after > before+heapSlack {
		t.Errorf("the app holds %d MiB more after the soak than before it", (after-before)>>20)
	}

	// Every span passes its last recheck age after its last revision, then
	// a final run catches up.
	time.Sleep(20 * time.Second)
	finalStart := time.Now()
	if err := a.Once(context.Background(), "", ""); err != nil {
		t.Fatalf("final once: %v", err)
	}
	finalEnd := time.Now()
	tenant := sim.Tenant(tenantID)
	for _, st := range streams {
		state, _ := a.state(t, st.Name)
		got := a.records(t, st)
		versions := tenant.AllVersions(st.Name, audit.Window{From: state.Start, To: state.Watermark}, finalEnd)
		atMostOnce(t, st.Name, got, versions)
		end := minTime(state.Watermark, finalStart.Add(-17*time.Second))
		latest := tenant.Visible(st.Name, audit.Window{From: state.Start, To: end}, finalStart)
		archived := map[string]bool{}
		for _, r := range got {
			archived[string(r.Raw)] = true
		}
		for _, raw := range latest {
			if !archived[string(raw)] {
				t.Fatalf("%s: the latest version of %s is not archived", st.Name, idOf(raw))
			}
		}
		if len(latest) == 0 {
			t.Fatalf("%s: no records: the check proves nothing", st.Name)
		}
		t.Logf("%s: %d versions archived, up to %s", st.Name, len(got), state.Watermark.Format(time.RFC3339))
	}
	if s := tenant.Stats(); s.ByStatus[200] == s.Requests {
		t.Fatalf("no fault was injected in %d requests", s.Requests)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// atMostOnce checks that every archived version is one Graph had (a
// version of a record in the window) and that none is archived twice.
func atMostOnce(t *testing.T, what string, got []audit.Record, versions [][]byte) {
	t.Helper()
	ok := map[string]bool{}
	for _, v := range versions {
		ok[string(v)] = true
	}
	seen := map[string]bool{}
	for _, r := range got {
		if seen[string(r.Raw)] {
			t.Fatalf("%s: %s archived twice", what, r.ID)
		}
		seen[string(r.Raw)] = true
		if !ok[string(r.Raw)] {
			t.Fatalf("%s: %s is not a version Graph served", what, r.ID)
		}
	}
}

// Package statetest is the conformance suite every state.Store passes: a
// job that never ran, create, update, stale versions and racing savers.
package statetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/state"
)

// Run runs the suite. newStore returns a fresh, empty store for one subtest.
func Run(t *testing.T, newStore func(t *testing.T) state.Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, state.Store)
	}{
		{"NotFound", testNotFound},
		{"CreateAndUpdate", testCreateAndUpdate},
		{"StaleVersion", testStaleVersion},
		{"JobsAreSeparate", testJobsAreSeparate},
		{"ConcurrentSavers", testConcurrentSavers},
		{"Jobs", testJobs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

const tenant, stream = "contoso", "interactive-signins"

var t0 = time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)

// sample is a state with every field set; n varies it.
func sample(n int) state.State {
	w := t0.Add(time.Duration(n) * time.Hour)
	return state.State{
		Start:              t0.Add(-720 * time.Hour),
		Retention:          state.Duration(720 * time.Hour),
		Watermark:          w.Add(123456789 * time.Nanosecond),
		Recheck:            map[string]time.Time{"2h0m0s": w.Add(-2 * time.Hour), "24h0m0s": w.Add(-24 * time.Hour)},
		SealedThrough:      w.Add(-25 * time.Hour),
		LastManifest:       fmt.Sprintf("contoso/interactive-signins/m%d_manifest.json", n),
		LastManifestSHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		LastRun:            &state.Run{Started: w, Finished: w.Add(time.Minute), Result: "ok", Records: int64(n)},
		LastOK:             w.Add(time.Minute),
	}
}

// saved is st as Load returns it after Save: schema version, tenant and
// stream filled in.
func saved(st state.State, tenant, stream string) state.State {
	st.Version, st.Tenant, st.Stream = state.CurrentVersion, tenant, stream
	return st
}

// wantState compares by JSON encoding, so times compare as the instants
// stored and every field counts.
func wantState(t *testing.T, s state.Store, tenant, stream string, want state.State, wantVersion string) {
	t.Helper()
	got, version, found, err := s.Load(t.Context(), tenant, stream)
	if err != nil || !found {
		t.Fatalf("Load(%s, %s): found %v, err %v", tenant, stream, found, err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Fatalf("Load(%s, %s) =\n  %s\nwant\n  %s", tenant, stream, g, w)
	}
	if version != wantVersion {
		t.Fatalf("Load(%s, %s): version %q, want %q", tenant, stream, version, wantVersion)
	}
}

func testNotFound(t *testing.T, s state.Store) {
	st, version, found, err := s.Load(t.Context(), tenant, stream)
	if err != nil || found || version != "" || st.Version != 0 || !st.Watermark.IsZero() {
		t.Fatalf("Load of a job that never ran = %+v, %q, %v, %v; want a zero state, \"\", false, nil", st, version, found, err)
	}
}

func testCreateAndUpdate(t *testing.T, s state.Store) {
	v1, err := s.Save(t.Context(), tenant, stream, sample(1), "")
	if err != nil || v1 == "" {
		t.Fatalf("create: version %q, err %v", v1, err)
	}
	wantState(t, s, tenant, stream, saved(sample(1), tenant, stream), v1)
	v2, err := s.Save(t.Context(), tenant, stream, sample(2), v1)
	if err != nil || v2 == "" || v2 == v1 {
		t.Fatalf("update: version %q (previous %q), err %v", v2, v1, err)
	}
	wantState(t, s, tenant, stream, saved(sample(2), tenant, stream), v2)
}

func testStaleVersion(t *testing.T, s state.Store) {
	v1, err := s.Save(t.Context(), tenant, stream, sample(1), "")
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.Save(t.Context(), tenant, stream, sample(2), v1)
	if err != nil {
		t.Fatal(err)
	}
	for _, stale := range []string{v1, ""} {
		if _, err := s.Save(t.Context(), tenant, stream, sample(3), stale); !errors.Is(err, state.ErrConflict) {
			t.Fatalf("Save on version %q after it moved on = %v, want ErrConflict", stale, err)
		}
	}
	wantState(t, s, tenant, stream, saved(sample(2), tenant, stream), v2)
}

func testJobsAreSeparate(t *testing.T, s state.Store) {
	jobs := [][2]string{{"contoso", "interactive-signins"}, {"contoso", "directory-audits"}, {"fabrikam", "interactive-signins"}}
	versions := make([]string, len(jobs))
	for i, j := range jobs {
		v, err := s.Save(t.Context(), j[0], j[1], sample(i), "")
		if err != nil {
			t.Fatalf("create %v: %v", j, err)
		}
		versions[i] = v
	}
	for i, j := range jobs {
		wantState(t, s, j[0], j[1], saved(sample(i), j[0], j[1]), versions[i])
	}
}

// testJobs: every saved job is listed once, by tenant then stream.
func testJobs(t *testing.T, s state.Store) {
	if jobs, err := s.Jobs(t.Context()); err != nil || len(jobs) != 0 {
		t.Fatalf("Jobs of an empty store = %v, %v; want none", jobs, err)
	}
	job := func(tenant, stream string) state.Job { return state.Job{Tenant: tenant, Stream: stream} }
	saves := []state.Job{job("fabrikam", "provisioning"), job("contoso", "interactive-signins"), job("contoso", "directory-audits")}
	for i, j := range saves {
		if _, err := s.Save(t.Context(), j.Tenant, j.Stream, sample(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	v, err := s.Save(t.Context(), "fabrikam", "provisioning", sample(9), "")
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("second create = %q, %v; want ErrConflict", v, err)
	}
	jobs, err := s.Jobs(t.Context())
	want := []state.Job{job("contoso", "directory-audits"), job("contoso", "interactive-signins"), job("fabrikam", "provisioning")}
	if err != nil || !slices.Equal(jobs, want) {
		t.Fatalf("Jobs = %v, %v; want %v", jobs, err, want)
	}
}

// testConcurrentSavers races savers on one version, round after round:
// exactly one wins, the others get ErrConflict, and Load returns the
// winner's state and version.
func testConcurrentSavers(t *testing.T, s state.Store) {
	const savers, rounds = 6, 3
	version := ""
	for round := range rounds {
		versions := make([]string, savers)
		errs := make([]error, savers)
		var wg sync.WaitGroup
		for i := range savers {
			wg.Go(func() {
				versions[i], errs[i] = s.Save(t.Context(), tenant, stream, sample(round*savers+i), version)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: savers %d and %d both won", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, state.ErrConflict):
				t.Fatalf("round %d: saver %d: got %v, want ErrConflict", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no saver won", round)
		}
		wantState(t, s, tenant, stream, saved(sample(round*savers+winner), tenant, stream), versions[winner])
		version = versions[winner]
	}
}

package faults

import (
	"context"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// step is one run of `once` in a clock-jump scenario: the host clock is
// off by offset when the run starts and jumps to then after the run has
// read the clock jumpAfter times (never when jumpAfter is 0). A run whose
// clock is far ahead of Graph's may fail (mayFail): refusing to archive a
// future Graph has not published is one right answer.
type step struct {
	offset, then time.Duration
	jumpAfter    int
	mayFail      bool
}

// TestClockJumps moves the host clock backwards and forwards, between and
// during runs, while Graph keeps producing records (some late). The
// watermark never moves back, runs succeed (unless the clock is far ahead),
// and once the clock is right again and every span has passed its last
// recheck, a final run leaves the archive exact: every record Graph serves
// below the watermark, once.
func TestClockJumps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []step
	}{
		{"back an hour between runs", []step{{}, {offset: -time.Hour}, {}}},
		{"back an hour during a run", []step{{}, {then: -time.Hour, jumpAfter: 3}, {offset: -time.Hour}, {}}},
		{"forward 10s during a run, then back", []step{{}, {then: 10 * time.Second, jumpAfter: 3}, {}}},
		// A day ahead is past the last recheck age (15s): a watermark that
		// ran ahead must not make the records Graph publishes meanwhile
		// unreachable.
		{"forward a day between runs, then back", []step{{}, {offset: 24 * time.Hour, mayFail: true}, {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now().UTC()
			sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{{
				ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 5,
				Volume: map[string]float64{"interactive-signins": 7200, "directory-audits": 3600},
				Epoch:  now.Add(-10 * time.Minute),
				Late:   graphsim.Late{Fraction: 0.3, Min: time.Second, Max: 3 * time.Second},
			}}})
			clock := &jumpClock{}
			a := newArchiver(t, sim, "  settle: 1s\n  recheck: [5s, 15s]\n  start: 10m", clock.Now)
			streams := []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits}
			watermarks := map[string]time.Time{}
			once := func(s step) {
				clock.Set(s.offset)
				if s.jumpAfter > 0 {
					clock.JumpAfter(s.jumpAfter, s.then)
				}
				switch err := a.Once(context.Background(), "", ""); {
				case err != nil && s.mayFail:
					t.Logf("once with the clock %s ahead: %v", s.offset, err)
				case err != nil:
					t.Fatalf("once with the clock off by %s: %v", s.offset, err)
				}
				for _, st := range streams {
					state, found := a.state(t, st.Name)
					if !found {
						t.Fatalf("%s: no state after a run", st.Name)
					}
					if state.Watermark.Before(watermarks[st.Name]) {
						t.Fatalf("%s: watermark moved back from %s to %s", st.Name, watermarks[st.Name], state.Watermark)
					}
					watermarks[st.Name] = state.Watermark
				}
				time.Sleep(time.Second)
			}
			for _, s := range tt.steps {
				once(s)
			}
			// Let real time pass the furthest watermark (unless it is far
			// ahead) and give records that Graph publishes after the last
			// jump time to pass their last recheck age (15s) and their
			// latest visibility (3s), then catch up with the clock right.
			until := time.Now().Add(25 * time.Second)
			for _, w := range watermarks {
				if w.Before(time.Now().Add(2 * time.Minute)) {
					until = maxTime(until, w.Add(20*time.Second))
				}
			}
			time.Sleep(time.Until(until))
			once(step{})
			for _, st := range streams {
				state, _ := a.state(t, st.Name)
				end := minTime(state.Watermark, time.Now().Add(-20*time.Second))
				var got []audit.Record
				for _, r := range a.records(t, st) {
					if r.Time.Before(end) {
						got = append(got, r)
					}
				}
				exactly(t, st.Name, got, sim.Tenant(tenantID).Visible(st.Name, audit.Window{From: state.Start, To: end}, time.Now()))
			}
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

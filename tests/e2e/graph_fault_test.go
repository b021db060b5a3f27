package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// TestGraphFaultsLeaveAnExactArchive is the fault suite on the Graph
// side: the simulated Graph misbehaves in one way per case while the real
// binary backfills 8 hours of two streams. `once` may fail when a page
// exhausts its attempts (exit 1, state not advanced past what is stored);
// the next `once` resumes. After at most maxRuns runs the last exits 0 and
// the archive holds exactly what Graph serves for the archived span.
func TestGraphFaultsLeaveAnExactArchive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*graphsim.TenantConfig)
		// timeout is graph.request_timeout ("" = the default, 60s).
		timeout string
		// exercised reports whether the fault happened (from the
		// simulator's statistics and the archiver's log), so the case
		// cannot pass vacuously.
		exercised func(s graphsim.Stats, log string) bool
		// oneRun: the fault is routine and must not fail a run.
		oneRun bool
	}{
		{
			name: "429 storm with fractional Retry-After",
			edit: func(c *graphsim.TenantConfig) {
				c.Throttle = &graphsim.Throttle{Requests: 4, Per: time.Second, RetryAfter: graphsim.RetryAfterFractional}
			},
			exercised: func(s graphsim.Stats, _ string) bool { return s.Throttled >= 3 },
			oneRun:    true,
		},
		{
			name: "429 storm with whole-second Retry-After",
			edit: func(c *graphsim.TenantConfig) {
				c.Throttle = &graphsim.Throttle{Requests: 4, Per: time.Second, RetryAfter: graphsim.RetryAfterInteger}
			},
			exercised: func(s graphsim.Stats, _ string) bool { return s.Throttled >= 3 },
			oneRun:    true,
		},
		{
			name: "429 storm without Retry-After",
			edit: func(c *graphsim.TenantConfig) {
				c.Throttle = &graphsim.Throttle{Requests: 4, Per: time.Second, RetryAfter: graphsim.RetryAfterNone}
			},
			exercised: func(s graphsim.Stats, _ string) bool { return s.Throttled >= 3 },
			oneRun:    true,
		},
		{
			name: "500, 502 and 503",
			edit: func(c *graphsim.TenantConfig) {
				c.Faults = graphsim.Faults{Seed: 1, ServerError: 0.15, Script: script(graphsim.FaultServerError, 2, 6)}
			},
			exercised: func(s graphsim.Stats, _ string) bool { return s.ByStatus[500]+s.ByStatus[502]+s.ByStatus[503] >= 2 },
		},
		{
			name: "connection resets",
			edit: func(c *graphsim.TenantConfig) {
				c.Faults = graphsim.Faults{Seed: 2, Reset: 0.15, Script: script(graphsim.FaultReset, 2, 6, 10)}
			},
			exercised: func(_ graphsim.Stats, log string) bool {
				return strings.Count(log, "graph request failed, retrying") >= 3
			},
		},
		{
			name: "truncated and malformed bodies",
			edit: func(c *graphsim.TenantConfig) {
				c.Faults = graphsim.Faults{Seed: 3, Truncate: 0.05, Malformed: 0.05,
					Script: append(script(graphsim.FaultTruncate, 2), script(graphsim.FaultMalformed, 6, 10, 14)...)}
			},
			exercised: func(_ graphsim.Stats, log string) bool {
				return strings.Contains(log, "malformed page") && strings.Contains(log, "unexpected EOF")
			},
		},
		{
			name:      "nextLink answered 400 once",
			edit:      func(c *graphsim.TenantConfig) { c.Faults = graphsim.Faults{Seed: 4, NextLink400: 0.3} },
			exercised: func(s graphsim.Stats, _ string) bool { return s.ByStatus[400] >= 2 },
			oneRun:    true,
		},
		{
			name: "slow responses past the request timeout",
			edit: func(c *graphsim.TenantConfig) {
				c.Faults = graphsim.Faults{Seed: 5, Slow: 0.1, SlowDelay: 10 * time.Second, Script: script(graphsim.FaultSlow, 2)}
			},
			timeout:   "1s",
			exercised: func(_ graphsim.Stats, log string) bool { return strings.Contains(log, "deadline exceeded") },
		},
		{
			name: "access token expires every 3s during the backfill",
			edit: func(c *graphsim.TenantConfig) {
				c.TokenLifetime = 3 * time.Second
				c.Throttle = &graphsim.Throttle{Requests: 6, Per: time.Second}
			},
			exercised: func(s graphsim.Stats, _ string) bool { return s.TokenRequests >= 2 },
			oneRun:    true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now().UTC()
			tc := frozenTenant(now, 17, map[string]float64{"interactive-signins": 2500, "directory-audits": 1200})
			tt.edit(&tc)
			sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{tc}})
			timeout := ""
			if tt.timeout != "" {
				timeout = ", request_timeout: " + tt.timeout
			}
			dir := t.TempDir()
			p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  start: 8h
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}%s}
%s`, dir, timeout, tenantYAML(sim, "")))
			runs, log := onceUntilOK(t, p, 4)
			if tt.oneRun && runs > 1 {
				t.Errorf("took %d runs: this fault is routine and must not fail a run", runs)
			}
			if s := sim.Tenant(tenantID).Stats(); !tt.exercised(s, log) {
				t.Fatalf("the fault was not exercised: %+v", s)
			}
			checkFinal(t, localSink(t, dir), sim, faultStreams, now)
		})
	}
}

// script makes the tenant's Graph requests numbered requests fail with
// kind, so that a case meets its fault whatever the random draws.
func script(kind graphsim.FaultKind, requests ...int) []graphsim.ScriptedFault {
	var out []graphsim.ScriptedFault
	for _, n := range requests {
		out = append(out, graphsim.ScriptedFault{Request: n, Kind: kind})
	}
	return out
}

// onceUntilOK runs `once` until it exits 0, at most max times, and returns
// how many runs it took and their logs. A failed run must exit 1.
func onceUntilOK(t *testing.T, p *process, max int) (int, string) {
	t.Helper()
	var logs strings.Builder
	for run := 1; run <= max; run++ {
		code, _, stderr := p.run("once")
		logs.WriteString(stderr)
		switch code {
		case 0:
			return run, logs.String()
		case 1:
			t.Logf("once #%d failed (resuming): %s", run, lastLines(stderr, 3))
		default:
			t.Fatalf("once #%d exited %d\n%s", run, code, lastLines(stderr, 20))
		}
	}
	t.Fatalf("once did not succeed in %d runs", max)
	return 0, ""
}

package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// TestTwoReplicasOneKilled runs two daemons on one Azurite container. The
// blob leases let only one of them run a job at a time; when one is killed
// with SIGKILL, its leases expire and the survivor carries on. The archive
// ends exact: every served record once.
func TestTwoReplicasOneKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons for two minutes")
	}
	// Mostly waiting: runs beside the other long e2e tests.
	t.Parallel()
	now := time.Now().UTC()
	streams := []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits, audit.ServicePrincipalSignIns}
	sim := startSim(t, graphsim.Options{
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 42,
			Volume: map[string]float64{"interactive-signins": 7200, "directory-audits": 3600, "serviceprincipal-signins": 3600},
			Epoch:  now.Add(-2 * time.Hour),
			Late:   graphsim.Late{Fraction: 0.2, Min: time.Second, Max: 4 * time.Second},
		}},
	})
	conn, container, sink := azuriteSink(t)
	p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
defaults:
  schedule: "@every 2s"
  streams: [interactive-signins, directory-audits, serviceprincipal-signins]
  settle: 1s
  recheck: [10s]
  start: 90m
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, container, tenantYAML(sim, "")), "AZURE_STORAGE_CONNECTION_STRING="+conn)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	a, _, aErr := p.command(ctx, "run")
	b, _, bErr := p.command(ctx, "run")
	for _, c := range []interface{ Start() error }{a, b} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Second)
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	killed := time.Now()
	// The survivor takes over within a lease period (60 s) plus a tick.
	time.Sleep(75 * time.Second)
	for _, st := range streams {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		if behind := killed.Sub(state.Watermark); behind > 0 {
			t.Errorf("%s: watermark %s still before the kill at %s: the survivor did not take over", st.Name, state.Watermark, killed)
		}
	}
	if err := b.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := b.Wait(); err != nil {
		t.Fatalf("survivor did not exit cleanly: %v\n%s", err, lastLines(bErr.String(), 20))
	}
	p.mustRun("once")
	archivedAsServed(t, sim, sink, streams)
	_ = aErr
}

// archivedAsServed checks that each stream's archive holds every record
// version Graph served with a time in [start, watermark), once.
func archivedAsServed(t *testing.T, sim *graphsim.Server, sink archive.Sink, streams []audit.Stream) {
	t.Helper()
	tenant := sim.Tenant(tenantID)
	for _, st := range streams {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		var served [][]byte
		for _, raw := range tenant.Served(st.Name) {
			rec, err := audit.ParseRecord(raw, st.TimeField)
			if err != nil {
				t.Fatal(err)
			}
			if !rec.Time.Before(state.Start) && rec.Time.Before(state.Watermark) {
				served = append(served, raw)
			}
		}
		exactly(t, st.Name, readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour), served)
	}
}

// TestReplicasShareTheTenantBudget runs two daemons on one Azurite
// container against a Graph that throttles the tenant at 5 requests per
// 2 s, the tenant's rate_limit, with four streams of backlog. One lease per
// tenant puts all four streams in one replica, whose pacer keeps Graph's
// window within the limit: no 429. (With a lease per job, each replica
// held some of the streams and paced them on its own, together at twice
// the budget: a storm of 429s.) The archive ends exact.
func TestReplicasShareTheTenantBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two daemons for 45 s")
	}
	// Mostly waiting: runs beside the other long e2e tests.
	t.Parallel()
	// Graph's limit, and the tenant's rate_limit 10 % under it: on a busy
	// test machine requests reach Graph with more jitter than the pacer's
	// 2 % margin (40 ms of a 2 s window) absorbs.
	const limit, per, paced = 5, 2 * time.Second, 2200 * time.Millisecond
	now := time.Now().UTC()
	streams := []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.ServicePrincipalSignIns, audit.DirectoryAudits}
	sim := startSim(t, graphsim.Options{
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 53,
			Volume: map[string]float64{
				"interactive-signins": 4000, "noninteractive-signins": 6000,
				"serviceprincipal-signins": 3000, "directory-audits": 2000,
			},
			Epoch:    now.Add(-3 * time.Hour),
			Late:     graphsim.Late{Fraction: 0.2, Min: time.Second, Max: 4 * time.Second},
			Throttle: &graphsim.Throttle{Requests: limit, Per: per},
		}},
	})
	conn, container, sink := azuriteSink(t)
	p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
defaults:
  schedule: "@every 2s"
  streams: [interactive-signins, noninteractive-signins, serviceprincipal-signins, directory-audits]
  settle: 1s
  recheck: [10s]
  start: 3h
  rate_limit: {requests: %d, per: %s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, container, limit, paced, tenantYAML(sim, "")), "AZURE_STORAGE_CONNECTION_STRING="+conn)

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	a, _, aErr := p.command(ctx, "run")
	b, _, bErr := p.command(ctx, "run")
	for _, c := range []*exec.Cmd{a, b} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(45 * time.Second)
	for _, c := range []*exec.Cmd{a, b} {
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range []*exec.Cmd{a, b} {
		if err := c.Wait(); err != nil {
			t.Fatalf("replica %d did not exit cleanly: %v\n%s", i, err, lastLines([]string{aErr.String(), bErr.String()}[i], 20))
		}
	}
	stats := sim.Tenant(tenantID).Stats()
	t.Logf("two replicas: %d Graph requests, %d throttled, at most %d in %s", stats.Requests, stats.Throttled, stats.MaxInWindow, per)
	if stats.Throttled > 0 || stats.MaxInWindow > limit {
		t.Errorf("%d of %d requests throttled, %d in one %s window (limit %d): the replicas together exceeded the tenant's budget",
			stats.Throttled, stats.Requests, stats.MaxInWindow, per, limit)
	}
	p.mustRun("once")
	archivedAsServed(t, sim, sink, streams)
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"
	azcontainer "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/lease"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// The crash suite: SIGKILL at seeded random moments, 24 in all (12 during
// a 48-hour backfill on the local sink, 4 on Azurite, 8 during a live
// daemon with late, re-published and revised records); after a final run
// the archive has nothing missing and nothing duplicated.

// killPoints returns n seeded delays in [min, max).
func killPoints(seed uint64, n int, min, max time.Duration) []time.Duration {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = min + time.Duration(rng.Int64N(int64(max-min)))
	}
	return out
}

// killDuring starts the binary with args and sends SIGKILL after d. It
// reports whether the process was still running then; one that finished
// first must have succeeded.
func killDuring(t *testing.T, p *process, d time.Duration, args ...string) bool {
	t.Helper()
	cmd, _, stderr := p.command(context.Background(), args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%v failed before it was killed: %v\n%s", args, err, lastLines(stderr.String(), 20))
		}
		return false
	case <-time.After(d):
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Fatal(err)
		}
		<-done
		return true
	}
}

// killBackfill kills `once` at each point of a 48-hour backfill of three
// streams in two formats, then runs it to completion and checks that the
// archive is exactly what Graph serves. After each kill the dead process's
// leases are expired at once (expire), so that the next process archives
// instead of waiting a lease period for them.
func killBackfill(t *testing.T, p *process, sim *graphsim.Server, sink archive.Sink, points []time.Duration, expire func()) {
	t.Helper()
	killed := 0
	for i, d := range points {
		if killDuring(t, p, d, "once") {
			killed++
			expire()
		}
		t.Logf("kill point %d: %s", i+1, d)
	}
	if killed < len(points)/2 {
		t.Fatalf("only %d of %d kills hit a running process: the backfill is too short to test crashes", killed, len(points))
	}
	p.mustRun("once")
	for _, st := range backfillStreams {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		exactly(t, st.Name, readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour),
			sim.Tenant(tenantID).Visible(st.Name, audit.Window{From: state.Start, To: state.Watermark}, time.Now()))
	}
}

var backfillStreams = []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.DirectoryAudits}

// expireLocalLeases does to the local sink's tenant leases what time does
// to the leases of a killed process (they expire a minute after it died):
// their files go, so the next process takes the jobs over at once.
func expireLocalLeases(t *testing.T, dir string) {
	t.Helper()
	locks := filepath.Join(dir, filepath.FromSlash(path.Dir(layout.Layout{}.LockName("contoso"))))
	if err := os.RemoveAll(locks); err != nil {
		t.Fatal(err)
	}
}

// breakLeases breaks the tenant lease a killed process left on Azurite, as
// its expiry would a minute later.
func breakLeases(t *testing.T, conn, container string) {
	t.Helper()
	c, err := azcontainer.NewClientFromConnectionString(conn, container, nil)
	if err != nil {
		t.Fatal(err)
	}
	lc, err := lease.NewBlobClient(c.NewBlobClient(layout.Layout{}.LockName("contoso")), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lc.BreakLease(context.Background(), &lease.BlobBreakOptions{BreakPeriod: to.Ptr(int32(0))})
	if err != nil && !bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.LeaseNotPresentWithLeaseOperation) {
		t.Fatalf("break the tenant's lease: %v", err)
	}
}

func backfillTenant(seed int64) graphsim.TenantConfig {
	return graphsim.TenantConfig{
		ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: seed,
		Volume: map[string]float64{"interactive-signins": 1000, "directory-audits": 400, "noninteractive-signins": 600},
		Epoch:  time.Now().Add(-60 * time.Hour),
		// The archive is compared with what Graph serves when the test
		// checks: a record of the 20–30 h late tail turning visible between
		// a run and the check would count as missing (the 72 h recheck
		// finds it), so no tail.
		LateTail: graphsim.Late{Fraction: -1},
	}
}

const backfillDefaults = `
defaults:
  streams: [interactive-signins, noninteractive-signins, directory-audits]
  formats: [jsonl, csv]
  start: 48h
  rate_limit: {requests: 12, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
`

func TestKill9DuringBackfill(t *testing.T) {
	t.Parallel()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{backfillTenant(41)}})
	dir := t.TempDir()
	p := newProcess(t, sim, fmt.Sprintf("http: {listen: \"\"}\nstorage: {type: local, local: {path: %q}}\n%s%s",
		dir, backfillDefaults, tenantYAML(sim, "")))
	killBackfill(t, p, sim, localSink(t, dir), killPoints(20261127, 12, 100*time.Millisecond, 4*time.Second),
		func() { expireLocalLeases(t, dir) })
}

func TestKill9DuringBackfillOnAzurite(t *testing.T) {
	t.Parallel()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{backfillTenant(43)}})
	conn, container, sink := azuriteSink(t)
	p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
%s%s`, container, backfillDefaults, tenantYAML(sim, "")), "AZURE_STORAGE_CONNECTION_STRING="+conn)
	killBackfill(t, p, sim, sink, killPoints(20261128, 4, 500*time.Millisecond, 5*time.Second),
		func() { breakLeases(t, conn, container) })
}

// TestKill9DuringLiveRun kills the daemon at 8 seeded moments while Graph
// keeps producing late, re-published and revised records, restarting it at
// once each time. After a final run past the last recheck, no record
// version is archived twice, every archived version is one Graph served, and
// every record is archived in its latest version.
func TestKill9DuringLiveRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the daemon for a minute")
	}
	now := time.Now().UTC()
	streams := []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.DirectoryAudits}
	sim := startSim(t, graphsim.Options{
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 47,
			Volume:         map[string]float64{"interactive-signins": 7200, "noninteractive-signins": 10800, "directory-audits": 3600},
			Epoch:          now.Add(-3 * time.Minute),
			Late:           graphsim.Late{Fraction: 0.3, Min: time.Second, Max: 4 * time.Second},
			Republish:      0.2,
			RepublishDelay: graphsim.Delay{Min: time.Second, Max: 4 * time.Second},
			Revise:         0.1,
			ReviseDelay:    graphsim.Delay{Min: time.Second, Max: 4 * time.Second},
		}},
	})
	dir := t.TempDir()
	p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  schedule: "@every 1s"
  streams: [interactive-signins, noninteractive-signins, directory-audits]
  formats: [jsonl, csv]
  settle: 1s
  recheck: [5s, 15s]
  start: 3m
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, dir, tenantYAML(sim, "")))

	for i, d := range killPoints(20261129, 8, 500*time.Millisecond, 4*time.Second) {
		if !killDuring(t, p, d, "run") {
			t.Fatal("run exited on its own")
		}
		expireLocalLeases(t, dir)
		t.Logf("kill point %d: %s", i+1, d)
	}
	// Every span reaches its last recheck age (15s) after its last revision
	// (at most 12s after its event time).
	time.Sleep(30 * time.Second)
	finalStart := time.Now()
	p.mustRun("once")

	sink := localSink(t, dir)
	tenant := sim.Tenant(tenantID)
	for _, st := range streams {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		got := readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour)
		atMostOnce(t, st.Name, got, tenant.Served(st.Name))
		latest := tenant.Visible(st.Name, audit.Window{From: state.Start, To: finalStart.Add(-16 * time.Second)}, finalStart)
		archived := map[string]bool{}
		for _, s := range got {
			archived[s.raw] = true
		}
		for _, raw := range latest {
			if !archived[string(raw)] {
				t.Fatalf("%s: the latest version of %s is not archived", st.Name, idOf(string(raw)))
			}
		}
		if len(latest) == 0 {
			t.Fatalf("%s: no records: the check proves nothing", st.Name)
		}
		t.Logf("%s: %d versions archived, %d records checked for their latest version", st.Name, len(got), len(latest))
	}
}

// atMostOnce checks that every archived record version is one Graph served
// and that none is archived twice.
func atMostOnce(t *testing.T, what string, got []stored, served [][]byte) {
	t.Helper()
	ok := map[string]bool{}
	for _, s := range served {
		ok[string(s)] = true
	}
	seen := map[string]string{}
	for _, s := range got {
		if prev, dup := seen[s.raw]; dup {
			t.Fatalf("%s: %s archived twice, in %s and %s", what, idOf(s.raw), prev, s.blob)
		}
		seen[s.raw] = s.blob
		if !ok[s.raw] {
			t.Fatalf("%s: %s in %s is not a version Graph served", what, idOf(s.raw), s.blob)
		}
	}
}

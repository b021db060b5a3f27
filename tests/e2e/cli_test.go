package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// TestConfigCheckListsEveryProblem: a broken file gets every problem with
// its key path, and exit code 2.
func TestConfigCheckListsEveryProblem(t *testing.T) {
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{{ID: tenantID, ClientID: clientID, ClientSecret: secret}}})
	p := newProcess(t, sim, `
log: {level: loud}
storage: {type: local, local: {path: ./x}}
defaults:
  schedule: "every 5 minutes"
  streams: [interactive-signins, sign-ins]
  settle: 15 minutes
  recheck: [24h, 2h]
tenants:
  - name: Contoso
    tenant_id: not-a-guid
    auth: {method: client-secret, clientid: x, client_secret_env: MISSING_SECRET_VAR}
`)
	code, stdout, stderr := p.run("config", "check")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	for _, path := range []string{"log.level", "defaults.schedule", "defaults.streams[1]", "defaults.settle",
		"defaults.recheck[1]", "tenants[0].name", "tenants[0].tenant_id", "tenants[0].auth.clientid",
		"tenants[0].auth.client_id"} {
		if !strings.Contains(stderr, path+":") {
			t.Errorf("no problem reported for %s in:\n%s", path, stderr)
		}
	}
	// The unset Graph secret is a warning: status, verify and export do
	// not need it.
	if !strings.Contains(stderr, "warning: tenants[0].auth.client_secret_env: environment variable MISSING_SECRET_VAR is not set") {
		t.Errorf("no warning about the unset secret in:\n%s", stderr)
	}
	if strings.Contains(stdout+stderr, "panic") {
		t.Fatal(stderr)
	}
}

// TestBackfillCommand archives an explicit earlier range into the same
// layout, without duplicates and without moving the watermark; a second
// backfill of the same range writes nothing.
func TestBackfillCommand(t *testing.T) {
	now := time.Now().UTC()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{{
		ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 3,
		Volume: map[string]float64{"directory-audits": 600},
		Epoch:  now.Add(-30 * time.Hour), Until: now.Add(-time.Hour),
		// Compared with what Graph serves at check time: no late tail.
		LateTail: graphsim.Late{Fraction: -1},
	}}})
	dir := t.TempDir()
	p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  streams: [directory-audits]
  start: 6h
  rate_limit: {requests: 10000, per: 1s}
%s`, dir, tenantYAML(sim, "")))
	p.mustRun("once")
	sink := localSink(t, dir)
	before := loadState(t, sink, layout.Layout{}, "contoso", "directory-audits")

	from := before.Start.Add(-12 * time.Hour)
	p.mustRun("backfill", "--tenant", "contoso", "--stream", "directory-audits",
		"--from", from.Format(time.RFC3339), "--to", before.Start.Add(2*time.Hour).Format(time.RFC3339))
	after := loadState(t, sink, layout.Layout{}, "contoso", "directory-audits")
	if !after.Watermark.Equal(before.Watermark) || !after.Start.Equal(before.Start) {
		t.Fatalf("backfill moved the state: %+v → %+v", before, after)
	}
	got := readStream(t, sink, layout.Layout{}, "contoso", audit.DirectoryAudits, audit.Hour)
	exactly(t, "directory-audits", got, sim.Tenant(tenantID).Visible("directory-audits",
		audit.Window{From: from, To: before.Watermark}, time.Now()))
	// Every backfilled partition has its p000.
	for p := audit.Hour.Of(from); p.Start.Before(before.Start); p = p.Next() {
		name := layout.Layout{}.PartName(layout.Part{Tenant: "contoso", Stream: "directory-audits", Partition: p, Format: "jsonl", Gzip: true})
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("backfilled partition %s has no p000: %v", p.Label(), err)
		}
	}
	blobs := dataBlobs(t, sink, "contoso/")
	p.mustRun("backfill", "--tenant", "contoso", "--stream", "directory-audits",
		"--from", from.Format(time.RFC3339), "--to", before.Start.Format(time.RFC3339))
	if again := dataBlobs(t, sink, "contoso/"); !slices.Equal(blobs, again) {
		t.Fatalf("a repeated backfill wrote %d new blobs", len(again)-len(blobs))
	}
	// Usage errors exit 2.
	for _, args := range [][]string{
		{"backfill", "--tenant", "contoso", "--stream", "directory-audits", "--from", "yesterday", "--to", "today"},
		{"backfill", "--stream", "directory-audits", "--from", "2026-11-01", "--to", "2026-11-02"},
	} {
		if code, _, stderr := p.run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", args, code, stderr)
		}
	}
}

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

func startSim(t *testing.T, opts graphsim.Options) *graphsim.Server {
	t.Helper()
	opts.Dir = t.TempDir()
	sim, err := graphsim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func tenantYAML(sim *graphsim.Server, extra string) string {
	return fmt.Sprintf(`tenants:
  - name: contoso
    tenant_id: %s
    auth: {method: client-secret, client_id: %s, client_secret_env: E2E_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
%s`, tenantID, clientID, sim.GraphURL(), sim.AuthorityHost(), extra)
}

// TestOnceAgainstAzuriteIsExactThenIdempotent is the end-to-end
// check: simulated Graph (pretty-printed pages, throttling at the configured
// limit, occasional faults) → the real binary → real Azurite. The archive
// must hold exactly the records Graph serves before the watermark, byte for
// byte, and a second run must write nothing.
func TestOnceAgainstAzuriteIsExactThenIdempotent(t *testing.T) {
	now := time.Now().UTC()
	sim := startSim(t, graphsim.Options{
		Pretty:      true,
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 7,
			Volume: map[string]float64{"interactive-signins": 900, "directory-audits": 300},
			Epoch:  now.Add(-40 * time.Hour),
			// The archive is compared with what Graph serves when the test checks: a
			// record of the 20–30 h late tail turning visible between a run and the
			// check would count as missing (the 72 h recheck finds it), so no tail.
			LateTail: graphsim.Late{Fraction: -1},
			// Frozen an hour ago, so a second run has nothing new to find.
			Until:    now.Add(-time.Hour),
			Throttle: &graphsim.Throttle{Requests: 20, Per: time.Second, RetryAfter: graphsim.RetryAfterFractional},
			Faults:   graphsim.Faults{Seed: 3, ServerError: 0.03, Reset: 0.02, Truncate: 0.02, Malformed: 0.02},
		}},
	})
	conn, container, sink := azuriteSink(t)
	p := newProcess(t, sim, fmt.Sprintf(`
log: {level: info}
http: {listen: ""}
graph: {request_timeout: 10s}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
defaults:
  start: 30h
  rate_limit: {requests: 20, per: 1s}
%s`, container, tenantYAML(sim, "")), "AZURE_STORAGE_CONNECTION_STRING="+conn)

	p.mustRun("once")
	tenant := sim.Tenant(tenantID)
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits} {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		w := audit.Window{From: state.Start, To: state.Watermark}
		if w.From.After(now.Add(-30*time.Hour)) || w.To.Before(now.Add(-16*time.Minute)) {
			t.Fatalf("%s: archived only %s", st.Name, w)
		}
		got := readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour)
		t.Logf("now %s until %s window %s got %d", now, now.Add(-time.Hour), w, len(got))
		exactly(t, st.Name, got, tenant.Visible(st.Name, w, time.Now()))
	}
	if s := tenant.Stats(); s.MaxInWindow > 20 {
		t.Fatalf("the archiver exceeded the throttle limit: %d requests in one window", s.MaxInWindow)
	}

	before := dataBlobs(t, sink, "contoso/")
	p.mustRun("once")
	after := dataBlobs(t, sink, "contoso/")
	if !slices.Equal(before, after) {
		for _, n := range after {
			if !slices.Contains(before, n) {
				t.Logf("new: %s", n)
				for _, r := range readStream(t, sink, layout.Layout{}, "contoso", audit.DirectoryAudits, audit.Hour) {
					if r.blob == n {
						t.Logf("  %s %s", idOf(r.raw), r.raw[strings.Index(r.raw, "DateTime"):strings.Index(r.raw, "DateTime")+40])
					}
				}
			}
		}
		t.Fatalf("a second once changed the archive: %d blobs before, %d after", len(before), len(after))
	}
}

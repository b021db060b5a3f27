package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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

// TestProductionGraphEverythingAtOnce runs the real binary against a
// simulated Graph with every production behaviour of issue 13 on at once:
// a configured start 40 days back (Graph's minimum allowed time: a 400
// before it), wide first pages that time out (504) every time, Graph's
// intermittent licence 403, evolvable enum members hidden without the
// Prefer header, records without a time or an id, null nextLinks, a late
// tail (scaled to seconds, with recheck ages around it), throttling and
// faults, and a second tenant in a national cloud that has no activity logs.
//
// The archive must hold exactly what Graph serves from its edge on, byte
// for byte (enum members included); the unreadable span must be recorded as
// lost, not claimed; every unarchivable record must be in the quarantine;
// the tenant in China must fail by itself with a message naming the cloud;
// and verify must pass.
func TestProductionGraphEverythingAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary for about two minutes")
	}
	t.Parallel()
	now := time.Now().UTC()
	const mooncakeID = "6a1e4c2b-5d7f-4e8a-9b0c-1d2e3f4a5b6c"
	sim := startSim(t, graphsim.Options{
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 13,
			Volume: map[string]float64{"interactive-signins": 40, "directory-audits": 25, "provisioning": 10},
			Epoch:  now.Add(-41 * 24 * time.Hour).Truncate(time.Hour),
			// Small enough that the planner's three-day windows time out.
			WideQuery: 1500,
			// Production's 20–30 h tail, scaled to the test: past the first
			// recheck age, caught by the second.
			LateTail:    graphsim.Late{Fraction: 0.01, Min: 20 * time.Second, Max: 30 * time.Second},
			NoTimeEvery: 3000, NoIDEvery: 7000, NotJSONEvery: 3000,
			LicenceFlake: 0.05,
			Throttle:     &graphsim.Throttle{Requests: 40, Per: time.Second},
			Faults:       graphsim.Faults{Seed: 5, ServerError: 0.01, Reset: 0.01, Truncate: 0.01},
		}, {
			ID: mooncakeID, ClientID: clientID, ClientSecret: secret, Seed: 14, Cloud: "china",
			Volume: map[string]float64{"directory-audits": 25},
		}},
	})
	dir := t.TempDir()
	p := newProcess(t, sim, fmt.Sprintf(`log: {level: info}
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  streams: [interactive-signins, directory-audits, provisioning]
  start: 40d
  settle: 1s
  recheck: [10s, 40s]
  rate_limit: {requests: 36, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}, request_timeout: 10s}
%s  - name: mooncake
    tenant_id: %s
    cloud: china
    streams: [directory-audits]
    auth: {method: client-secret, client_id: %s, client_secret_env: E2E_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, dir, tenantYAML(sim, ""), mooncakeID, clientID, sim.GraphURL(), sim.AuthorityHost()))

	// config check names what China does not serve, and passes.
	if code, _, stderr := p.run("config", "check"); code != 0 || !strings.Contains(stderr, `tenant "mooncake"`) || !strings.Contains(stderr, "china") {
		t.Fatalf("config check: exit %d, want 0 and a warning about the tenant in China\n%s", code, stderr)
	}
	// The first run catches up from Graph's edge; the tenant in China
	// fails by itself.
	code, _, stderr := p.run("once")
	_, summary, _ := strings.Cut(stderr, "entra-archiver: ")
	if code != 1 || !strings.HasPrefix(summary, "1 of 4 jobs failed") || !strings.Contains(summary, "mooncake/directory-audits: ") ||
		!strings.Contains(summary, "national cloud") || strings.Contains(summary, "filter") {
		t.Fatalf("once: exit %d, want 1 with only the tenant in China failing, for its cloud\n%s", code, lastLines(stderr, 20))
	}
	// Later runs recheck at 10 s and 40 s, finding the late tail.
	for range 2 {
		time.Sleep(45 * time.Second)
		p.run("once")
	}

	sink := localSink(t, dir)
	tenant := sim.Tenant(tenantID)
	asOf := time.Now()
	notJSON := 0
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits, audit.Provisioning} {
		state := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		// Everything before the last recheck mark had every recheck: the
		// archive holds exactly what Graph serves there now.
		rechecked := state.Recheck["40s"]
		resume := audit.Hour.Ceil(st.EarliestFrom(audit.MinimumTime(asOf)))
		if len(state.Lost) == 0 || !state.Lost[0].Never() || !state.Lost[0].From.Equal(state.Start) || state.Lost[0].To.Before(resume.Add(-24*time.Hour)) {
			t.Fatalf("%s: lost %+v, want the span from the start (%s) to Graph's edge", st.Name, state.Lost, state.Start)
		}
		archivedFrom := state.Lost[0].To
		// What Graph still serves: records that passed its 30-day retention
		// during the test were archived when served, but are no longer truth.
		compareFrom := asOf.Add(-30*24*time.Hour + time.Minute).Truncate(time.Second)
		got := readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour)
		var inRange []stored
		for _, s := range got {
			rec, err := audit.ParseRecord([]byte(s.raw), st.TimeField)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Time.Before(archivedFrom) {
				t.Fatalf("%s: %s archived before the lost span's end %s", st.Name, rec.ID, archivedFrom)
			}
			if !rec.Time.Before(compareFrom) && rec.Time.Before(rechecked) {
				inRange = append(inRange, s)
			}
		}
		exactly(t, st.Name, inRange, tenant.Visible(st.Name, audit.Window{From: compareFrom, To: rechecked}, asOf))
		// Nothing archived that Graph did not serve.
		served := map[string]bool{}
		for _, r := range tenant.Served(st.Name) {
			served[string(r)] = true
		}
		for _, s := range got {
			if !served[s.raw] {
				t.Fatalf("%s: archived %s, which Graph never served", st.Name, idOf(s.raw))
			}
		}
		notJSON += checkQuarantine(t, dir, "contoso", st, tenant.Rejected(st.Name, audit.Window{From: compareFrom, To: rechecked}, asOf), tenant.ServedRejects(st.Name))
	}
	if notJSON == 0 {
		t.Errorf("no record that is not valid JSON in the archived span: their quarantine is not exercised")
	}
	stats := tenant.Stats()
	t.Logf("contoso: %d requests, by status %v", stats.Requests, stats.ByStatus)
	for status, what := range map[int]string{504: "wide first pages timing out", 403: "the intermittent licence 403"} {
		if stats.ByStatus[status] == 0 {
			t.Errorf("no %d answers: %s were not exercised", status, what)
		}
	}
	if stats.ByStatus[400] != 0 {
		t.Errorf("%d answers 400: a query reached before Graph's minimum allowed time", stats.ByStatus[400])
	}
	out := p.mustRun("verify")
	if !strings.Contains(out, "KNOWN LOSS") || !strings.Contains(out, "QUARANTINED") || !strings.HasSuffix(strings.TrimSpace(out), "no faults") {
		t.Fatalf("verify:\n%s", out)
	}
	var report struct {
		Rows []struct {
			Tenant, Stream string
			LostSeconds    float64 `json:"lost_seconds"`
			Quarantined    int64   `json:"quarantined"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(p.mustRun("status", "--json")), &report); err != nil {
		t.Fatal(err)
	}
	for _, r := range report.Rows {
		if r.Tenant == "contoso" && r.LostSeconds < 9*24*3600 {
			t.Errorf("status: %s/%s shows %v s lost, want the ten days before Graph's edge", r.Tenant, r.Stream, r.LostSeconds)
		}
	}
}

// checkQuarantine compares a stream's quarantine folder with the records
// Graph served that cannot be archived: every one the windows read is
// there, named by its SHA-256, and nothing else. It returns how many of
// them are not valid JSON.
func checkQuarantine(t *testing.T, dir, tenant string, st audit.Stream, want, sent [][]byte) (notJSON int) {
	t.Helper()
	qdir := filepath.Join(dir, filepath.FromSlash(layout.Layout{}.QuarantineDir(tenant, st.Name)))
	entries, err := os.ReadDir(qdir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var have []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".meta.json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(qdir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		if name := hex.EncodeToString(sum[:]) + ".json"; name != e.Name() {
			t.Fatalf("quarantine blob %s holds bytes hashing to %s", e.Name(), name)
		}
		have = append(have, string(data))
	}
	sentSet := map[string]bool{}
	for _, r := range sent {
		sentSet[string(r)] = true
	}
	for _, h := range have {
		if !sentSet[h] {
			t.Fatalf("%s: quarantined %s, which Graph never served", st.Name, h)
		}
	}
	for _, w := range want {
		if !slices.Contains(have, string(w)) {
			t.Fatalf("%s: Graph served %s (no time, no id or not JSON) in a window the job read, and it is not in the quarantine (%d there, %d expected)",
				st.Name, w, len(have), len(want))
		}
		if !json.Valid(w) {
			notJSON++
		}
	}
	if len(want) == 0 {
		t.Fatalf("%s: no record without a time or id in the archived span: the quarantine is not exercised", st.Name)
	}
	return notJSON
}

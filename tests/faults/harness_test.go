package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

const (
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
	secret   = "faults-Secret~0123456789abcdefXYZ"
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

// archiver is the app wired in process, archiving into a local folder.
type archiver struct {
	*app.App
	dir  string
	sink archive.Sink
}

// newArchiver wires the app for the simulated tenant "contoso" with the
// given defaults (YAML) and clock (nil: the host's).
func newArchiver(t *testing.T, sim *graphsim.Server, defaults string, clock func() time.Time) *archiver {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
defaults:
  rate_limit: {requests: 10000, per: 1s}
%s
tenants:
  - name: contoso
    tenant_id: %s
    auth: {method: client-secret, client_id: %s, client_secret_env: FAULTS_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, dir, defaults, tenantID, clientID, sim.GraphURL(), sim.AuthorityHost())
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, []string{"FAULTS_SECRET=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	// A small sort budget makes batches spill to files, as a large
	// tenant's do, and keeps the heap of a run in flight small.
	a, err := app.New(context.Background(), app.Options{
		Config: cfg, Clock: clock, GraphTransport: sim.HTTPClient(), Logger: zap.NewNop(),
		TempDir: t.TempDir(), SortMemory: 1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	sink, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &archiver{App: a, dir: dir, sink: sink}
}

// state reads a job's state; found is false before its first commit.
func (a *archiver) state(t *testing.T, stream string) (state.State, bool) {
	t.Helper()
	st, _, found, err := state.DocStore{Sink: a.sink, Layout: layout.Layout{}}.Load(context.Background(), "contoso", stream)
	if err != nil {
		t.Fatal(err)
	}
	return st, found
}

// records reads every record version of a stream from its jsonl parts,
// checking what any archive must hold (partstest.Read).
func (a *archiver) records(t *testing.T, st audit.Stream) []audit.Record {
	t.Helper()
	var out []audit.Record
	for _, p := range partstest.Read(t, a.sink, layout.Layout{}, "contoso", st, audit.Hour, "jsonl") {
		out = append(out, p.Records...)
	}
	return out
}

// exactly checks that got holds each wanted record version once and
// nothing else.
func exactly(t *testing.T, what string, got []audit.Record, want [][]byte) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		seen[string(r.Raw)]++
	}
	var dups, missing, extra []string
	wanted := map[string]bool{}
	for _, w := range want {
		wanted[string(w)] = true
		if seen[string(w)] == 0 {
			missing = append(missing, idOf(w))
		}
	}
	for raw, n := range seen {
		switch {
		case !wanted[raw]:
			extra = append(extra, idOf([]byte(raw)))
		case n > 1:
			dups = append(dups, idOf([]byte(raw)))
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(dups)+len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d archived, %d expected; %d duplicated %v; %d missing %v; %d unexpected %v",
			what, len(got), len(want), len(dups), head(dups), len(missing), head(missing), len(extra), head(extra))
	}
	if len(want) == 0 {
		t.Fatalf("%s: nothing expected: the test proves nothing", what)
	}
}

func head(s []string) []string { return s[:min(len(s), 5)] }

func idOf(raw []byte) string {
	for _, field := range []string{"createdDateTime", "activityDateTime"} {
		if rec, err := audit.ParseRecord(raw, field); err == nil {
			return rec.ID
		}
	}
	return "?"
}

// jumpClock is the host clock plus an offset the test moves, at once or
// after a number of reads (a jump in the middle of a run).
type jumpClock struct {
	mu     sync.Mutex
	offset time.Duration
	// after reads more, the offset becomes next.
	after int
	next  time.Duration
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.after > 0 {
		if c.after--; c.after == 0 {
			c.offset = c.next
		}
	}
	return time.Now().Add(c.offset)
}

// Set moves the clock to offset now.
func (c *jumpClock) Set(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset, c.after = offset, 0
}

// JumpAfter moves the clock to offset after n more reads.
func (c *jumpClock) JumpAfter(n int, offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.after, c.next = n, offset
}

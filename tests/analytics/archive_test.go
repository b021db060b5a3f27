package analytics

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

const (
	tenantID = "8f5b1f9e-3c2a-4d7b-9e61-2a4c8d0e7f13"
	clientID = "2d6e0c1a-7b39-4f85-a2d4-9c3e5f7a1b60"
	secret   = "analytics-Secret~0123456789"
)

// The archive the recipes read: the demo's tenant ("demo", all six streams,
// jsonl and csv, in ./demo-archive) on a fixed clock, so that the document
// can name a day it holds. Three runs (the first a backfill from 29
// November, then the 2 h and 24 h rechecks) find late records and
// revisions and write them as later parts; the oldest partitions reach the
// 72 h recheck and are sealed. The archive spans 2026-11-29 00:00 to
// 2026-12-02 06:00 UTC: two months, and days and hours with and without a
// leading zero, which is what makes partition types matter.
var (
	firstRun = time.Date(2026, 12, 1, 3, 20, 0, 0, time.UTC)
	runsAt   = []time.Duration{0, 3 * time.Hour, 27 * time.Hour}
	volume   = map[string]float64{ // records per hour
		"interactive-signins":      60,
		"noninteractive-signins":   30,
		"serviceprincipal-signins": 10,
		"managedidentity-signins":  6,
		"directory-audits":         40,
		"provisioning":             6,
	}
)

const archiveConfig = `log: {level: error, format: console}
http: {listen: ""}
graph: {app_rate_limit: {requests: 100000, per: 10s}}
storage: {type: local, local: {path: %q}}
state: {type: storage}
defaults:
  streams: [all]
  formats: [jsonl, csv]
  start: 2026-11-29T00:00:00Z
  rate_limit: {requests: 100000, per: 10s}
tenants:
  - name: demo
    tenant_id: %s
    auth: {method: client-secret, client_id: %s, client_secret_env: DEMO_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`

// buildArchive archives the simulated tenant into dir/demo-archive.
func buildArchive(t *testing.T, dir string) {
	t.Helper()
	var now atomic.Int64
	now.Store(firstRun.UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
	sim, err := graphsim.Start(graphsim.Options{
		Dir: t.TempDir(),
		Now: clock,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 2026,
			Volume: volume, Epoch: firstRun.Add(-4 * 24 * time.Hour),
			Late:      graphsim.Late{Fraction: 0.1, Min: 10 * time.Minute, Max: 150 * time.Minute},
			Republish: 0.05, Revise: 0.08,
			// Most revisions come after the record was first archived,
			// for the rechecks to find.
			ReviseDelay: graphsim.Delay{Min: 30 * time.Minute, Max: 20 * time.Hour},
			// Not what these tests are about.
			LicenceFlake: -1,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	path := filepath.Join(t.TempDir(), "config.yaml")
	text := fmt.Sprintf(archiveConfig, filepath.Join(dir, "demo-archive"), tenantID, clientID, sim.GraphURL(), sim.AuthorityHost())
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, []string{"DEMO_SECRET=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range runsAt {
		now.Store(firstRun.Add(at).UnixNano())
		// A new app per run: its token, issued on the simulated clock,
		// would have expired by the next one.
		a, err := app.New(context.Background(), app.Options{Config: cfg, Clock: clock,
			GraphTransport: sim.HTTPClient(), TempDir: t.TempDir(), Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		err = a.Once(context.Background(), "", "")
		a.Close()
		if err != nil {
			t.Fatalf("run at %s: %v", clock().Format(time.RFC3339), err)
		}
	}
}

// version is one archived line: a record as one part holds it.
type version struct {
	id        string
	time      time.Time
	partition time.Time // the hour
	part      int
	raw       string
}

// archiveTruth is what the archive holds, read without DuckDB: every jsonl
// line of every data part, found by the archiver's own blob names (not by
// the document's glob), per stream.
type archiveTruth struct {
	versions  map[string][]version   // by stream
	parts     map[string][]time.Time // by stream, the partition of each jsonl part, empty ones too
	jsonFiles map[string]int         // by stream, files named *.json (sidecars, manifests)
	blobs     int                    // files below the tenant folder
	manifests int
}

func readTruth(t *testing.T, tenantDir string) *archiveTruth {
	t.Helper()
	tr := &archiveTruth{versions: map[string][]version{}, parts: map[string][]time.Time{}, jsonFiles: map[string]int{}}
	for _, st := range audit.Streams {
		root := filepath.Join(tenantDir, st.Name)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			tr.blobs++
			if strings.HasSuffix(d.Name(), ".json") {
				tr.jsonFiles[st.Name]++
			}
			e, ok := layout.ParseName(st.Name, d.Name())
			if ok && e.Manifest {
				tr.manifests++
			}
			if !ok || e.Manifest || e.Part.Format != "jsonl" {
				return nil
			}
			if !e.Part.Gzip || e.Partition.Granularity != audit.Hour {
				t.Fatalf("%s: the recipes expect gzipped hourly parts", path)
			}
			tr.parts[st.Name] = append(tr.parts[st.Name], e.Partition.Start.UTC())
			for _, line := range gunzipLines(t, path) {
				rec, err := audit.ParseRecord([]byte(line), st.TimeField)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				tr.versions[st.Name] = append(tr.versions[st.Name], version{
					id: rec.ID, time: rec.Time.UTC(), partition: e.Partition.Start.UTC(), part: e.Part.Number, raw: line})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.versions[st.Name]) == 0 {
			t.Fatalf("%s: nothing archived: the recipes would prove nothing", st.Name)
		}
	}
	return tr
}

func gunzipLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var lines []string
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return lines
}

// latest is one version per record: the one in the highest part, and
// within a part the last in the part's order (by content), as export
// chooses.
func (tr *archiveTruth) latest(stream string) map[string]version {
	out := map[string]version{}
	for _, v := range tr.versions[stream] {
		cur, ok := out[v.id]
		if !ok || v.part > cur.part || (v.part == cur.part && v.raw > cur.raw) {
			out[v.id] = v
		}
	}
	return out
}

// stream checks a stream name from a document's check.
func (tr *archiveTruth) stream(name string) (string, error) {
	if _, ok := tr.versions[name]; !ok {
		return "", fmt.Errorf("unknown stream %q", name)
	}
	return name, nil
}

// duckTime is how DuckDB writes a TIMESTAMPTZ in UTC: microseconds (a 7th
// fractional digit is dropped), trailing zeros trimmed.
func duckTime(ts time.Time) string {
	ts = ts.UTC().Truncate(time.Microsecond)
	s := ts.Format("2006-01-02 15:04:05")
	if us := ts.Nanosecond() / 1000; us != 0 {
		s += strings.TrimRight(fmt.Sprintf(".%06d", us), "0")
	}
	return s + "+00"
}

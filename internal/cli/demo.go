package cli

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

const (
	demoTenantID = "8f5b1f9e-3c2a-4d7b-9e61-2a4c8d0e7f13"
	demoClientID = "2d6e0c1a-7b39-4f85-a2d4-9c3e5f7a1b60"
)

// demoVolume is records per hour of event time per stream: about 60,000
// records over the demo's two days, a few seconds of work.
var demoVolume = map[string]float64{
	"interactive-signins":      300,
	"noninteractive-signins":   600,
	"serviceprincipal-signins": 150,
	"managedidentity-signins":  60,
	"directory-audits":         120,
	"provisioning":             30,
}

const demoConfig = `# Written by "entra-archiver demo": a simulated tenant served by the built-in
# simulated Graph, archived into a local folder.
log: {level: warn, format: console}
http: {listen: ""}
graph: {app_rate_limit: {requests: 100000, per: 10s}}
storage:
  type: local
  local: {path: %q}
state: {type: storage}
defaults:
  streams: [all]
  formats: [jsonl, csv]
  start: 48h
  rate_limit: {requests: 100000, per: 10s}
tenants:
  - name: demo
    tenant_id: %s
    auth:
      method: client-secret
      client_id: %s
      client_secret_env: ENTRA_ARCHIVER_DEMO_SECRET
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`

// cmdDemo archives a simulated tenant into a local folder: the whole product
// (token flow, Graph paging, sorting, formats, manifests) without an Azure
// account.
func cmdDemo(inv *invocation, args []string) int {
	fs := inv.flagSet("demo")
	dir := fs.String("dir", "demo-archive", "output `folder`")
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return inv.report(err)
	}
	secretBytes := make([]byte, 24)
	rand.Read(secretBytes)
	secret := hex.EncodeToString(secretBytes)
	tmp, err := os.MkdirTemp("", "entra-archiver-demo-*")
	if err != nil {
		return inv.report(err)
	}
	defer os.RemoveAll(tmp)
	now := time.Now().UTC()
	sim, err := graphsim.Start(graphsim.Options{
		Dir: tmp,
		Tenants: []graphsim.TenantConfig{{
			ID: demoTenantID, ClientID: demoClientID, ClientSecret: secret, Seed: 2026,
			Volume: demoVolume, Epoch: now.Add(-31 * 24 * time.Hour).Truncate(time.Hour),
		}},
	})
	if err != nil {
		return inv.report(fmt.Errorf("start the simulated Graph: %w", err))
	}
	defer sim.Close()

	cfgPath := filepath.Join(tmp, "demo.yaml")
	cfgText := fmt.Sprintf(demoConfig, abs, demoTenantID, demoClientID, sim.GraphURL(), sim.AuthorityHost())
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		return inv.report(err)
	}
	inv.env = append(inv.env, "ENTRA_ARCHIVER_DEMO_SECRET="+secret)
	cfg, ok := inv.loadConfig(cfgPath)
	if !ok {
		return ExitFailure
	}
	fmt.Fprintf(inv.stdout, "Simulated Graph at %s (tenant %s)\n", sim.GraphURL(), demoTenantID)
	fmt.Fprintf(inv.stdout, "Archiving the last 48 hours of all six streams into %s ...\n", abs)
	started := time.Now()
	a, log, code := inv.openApp(cfg, app.Options{GraphTransport: sim.HTTPClient()})
	if a == nil {
		return code
	}
	defer a.Close()
	defer log.Sync()
	before, err := archiveTotals(inv, a.Sink(), "demo/")
	if err != nil {
		return inv.report(err)
	}
	if err := a.Once(inv.ctx, "", ""); err != nil {
		return inv.report(err)
	}
	after, err := archiveTotals(inv, a.Sink(), "demo/")
	if err != nil {
		return inv.report(err)
	}
	printArchiveSummary(inv, before, after)
	fmt.Fprintf(inv.stdout, "\nDone in %s. Run the demo again to see an incremental run (nothing is archived twice).\n",
		time.Since(started).Round(100*time.Millisecond))
	return ExitOK
}

// streamTotals is what the archive holds for one stream.
type streamTotals struct {
	blobs, manifests int
	records          int64
	bytes            int64
	example          string // the newest data blob
}

// archiveTotals sums, per stream, the data blobs, manifests, records and
// bytes below prefix.
func archiveTotals(inv *invocation, sink archive.Sink, prefix string) (map[string]*streamTotals, error) {
	per := map[string]*streamTotals{}
	err := sink.List(inv.ctx, prefix, func(o archive.Object) error {
		rest := strings.TrimPrefix(o.Name, prefix)
		stream, _, _ := strings.Cut(rest, "/")
		s := per[stream]
		if s == nil {
			s = &streamTotals{}
			per[stream] = s
		}
		if strings.HasSuffix(o.Name, "_manifest.json") {
			s.manifests++
			return nil
		}
		s.blobs++
		s.bytes += o.Size
		if archive.MetaGet(o.Metadata, archive.MetaFormat) == "jsonl" {
			n, _ := strconv.ParseInt(archive.MetaGet(o.Metadata, archive.MetaRecords), 10, 64)
			s.records += n
		}
		if s.example == "" || o.Name > s.example {
			s.example = o.Name
		}
		return nil
	})
	return per, err
}

// printArchiveSummary prints, per stream, what this run added and what the
// archive holds, with the newest blob of each stream.
func printArchiveSummary(inv *invocation, before, after map[string]*streamTotals) {
	streams := make([]string, 0, len(after))
	for k := range after {
		streams = append(streams, k)
	}
	sort.Strings(streams)
	var newRecords int64
	var newBlobs int
	fmt.Fprintf(inv.stdout, "\n%-26s %12s %10s %10s %10s %12s\n", "STREAM", "NEW RECORDS", "NEW BLOBS", "RECORDS", "MANIFESTS", "BYTES")
	for _, st := range streams {
		s, b := after[st], before[st]
		if b == nil {
			b = &streamTotals{}
		}
		newRecords += s.records - b.records
		newBlobs += s.blobs - b.blobs
		fmt.Fprintf(inv.stdout, "%-26s %12d %10d %10d %10d %12d\n", st, s.records-b.records, s.blobs-b.blobs, s.records, s.manifests, s.bytes)
	}
	for _, st := range streams {
		fmt.Fprintf(inv.stdout, "  e.g. %s\n", after[st].example)
	}
	fmt.Fprintf(inv.stdout, "\nThis run archived %d new records in %d new blobs.\n", newRecords, newBlobs)
}

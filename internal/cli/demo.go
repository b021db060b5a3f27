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

// demoConfig is the configuration the demo runs with and leaves beside its
// archive as <dir>.yaml. status, verify and export read the archive with it
// as it is (they need storage only); once and run need the simulated Graph,
// which lives only while demo runs.
const demoConfig = `# Written by "entra-archiver demo": a simulated tenant served by the built-in
# simulated Graph, archived into a local folder. status, verify and export
# read the archive with this file:
#   entra-archiver status --config %[6]s
# The simulated Graph below lived only while demo ran: run demo again (or
# demo --serve) to archive more.
log: {level: %[7]s, format: console}
http: {listen: %[8]q}
graph: {app_rate_limit: {requests: 100000, per: 10s}}
storage:
  type: local
  local: {path: %[1]q}
state: {type: storage}
defaults:
  streams: [all]
  formats: [jsonl, csv]
  start: 48h
  rate_limit: {requests: 100000, per: 10s}
%[9]stenants:
  - name: demo
    tenant_id: %[2]s
    auth:
      method: client-secret
      client_id: %[3]s
      client_secret_env: ENTRA_ARCHIVER_DEMO_SECRET
    graph_endpoint: %[4]s
    authority_host: %[5]s
    disable_instance_discovery: true
`

// serveDefaults make the daemon's work visible within minutes: a run every
// 20 s, records settled after 30 s, rechecks at 2 and 5 minutes.
const serveDefaults = `  schedule: "@every 20s"
  settle: 30s
  recheck: [2m, 5m]
`

// cmdDemo archives a simulated tenant into a local folder: the whole product
// (token flow, Graph paging, sorting, formats, manifests) without an Azure
// account. It leaves <dir>.yaml beside the archive for status, verify and
// export. With --serve it keeps the simulated Graph publishing (late
// arrivals and revisions included) and runs the daemon on it, with the
// status page and /metrics, until SIGINT or SIGTERM.
func cmdDemo(inv *invocation, args []string) int {
	fs := inv.flagSet("demo")
	dir := fs.String("dir", "demo-archive", "output `folder`; its configuration is written to <folder>.yaml")
	serve := fs.Bool("serve", false, "keep the simulated tenant publishing and run the daemon on it until Ctrl-C")
	listen := fs.String("listen", "127.0.0.1:9464", "with --serve, the `address` of the status page and /metrics")
	if code, ok := inv.parse(fs, args); !ok {
		return code
	}
	abs, err := filepath.Abs(strings.TrimRight(*dir, `/\`))
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
	tenant := graphsim.TenantConfig{
		ID: demoTenantID, ClientID: demoClientID, ClientSecret: secret, Seed: 2026,
		Volume: demoVolume, Epoch: now.Add(-31 * 24 * time.Hour).Truncate(time.Hour),
	}
	if *serve {
		// Graph's habits at the daemon's pace: some records late by
		// seconds to minutes, some revised (MFA details added) or
		// re-published a few minutes later.
		tenant.Late = graphsim.Late{Fraction: 0.1, Min: 20 * time.Second, Max: 3 * time.Minute}
		tenant.Revise, tenant.ReviseDelay = 0.03, graphsim.Delay{Min: time.Minute, Max: 4 * time.Minute}
		tenant.Republish, tenant.RepublishDelay = 0.02, graphsim.Delay{Min: 30 * time.Second, Max: 3 * time.Minute}
	}
	sim, err := graphsim.Start(graphsim.Options{Dir: tmp, Tenants: []graphsim.TenantConfig{tenant}})
	if err != nil {
		return inv.report(fmt.Errorf("start the simulated Graph: %w", err))
	}
	defer sim.Close()

	yamlPath := abs + ".yaml"
	level, httpListen, defaults := "warn", "", ""
	if *serve {
		level, httpListen, defaults = "info", *listen, serveDefaults
	}
	configFor := func(level, listen, defaults string) string {
		return fmt.Sprintf(demoConfig, abs, demoTenantID, demoClientID, sim.GraphURL(), sim.AuthorityHost(),
			filepath.Base(yamlPath), level, listen, defaults)
	}
	if err := os.WriteFile(yamlPath, []byte(configFor("warn", "", "")), 0o600); err != nil {
		return inv.report(err)
	}
	cfgPath := filepath.Join(tmp, "demo.yaml")
	if err := os.WriteFile(cfgPath, []byte(configFor(level, httpListen, defaults)), 0o600); err != nil {
		return inv.report(err)
	}
	inv.env = append(inv.env, "ENTRA_ARCHIVER_DEMO_SECRET="+secret)
	cfg, ok := inv.loadConfig(cfgPath)
	if !ok {
		return ExitFailure
	}
	fmt.Fprintf(inv.stdout, "Simulated Graph at %s (tenant %s)\n", sim.GraphURL(), demoTenantID)
	a, log, code := inv.openApp(cfg, app.Options{GraphTransport: sim.HTTPClient()})
	if a == nil {
		return code
	}
	defer a.Close()
	defer log.Sync()
	if *serve {
		fmt.Fprintf(inv.stdout, "Archiving the simulated tenant into %s as it publishes (a run every 20 s).\n", abs)
		fmt.Fprintf(inv.stdout, "Status page: http://%s/   Metrics: http://%s/metrics   Stop with Ctrl-C.\n\n", *listen, *listen)
		if err := a.Run(inv.ctx, app.RunOptions{}); err != nil {
			return inv.report(err)
		}
		fmt.Fprintf(inv.stdout, "\nStopped. The archive is in %s; its configuration in %s.\n", abs, yamlPath)
		return ExitOK
	}
	fmt.Fprintf(inv.stdout, "Archiving the last 48 hours of all six streams into %s ...\n", abs)
	started := time.Now()
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
	printNextSteps(inv, yamlPath, now)
	return ExitOK
}

// printNextSteps says what to try next with the archive and its
// configuration.
func printNextSteps(inv *invocation, yamlPath string, now time.Time) {
	cfg := yamlPath
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, yamlPath); err == nil && !strings.HasPrefix(rel, "..") {
			cfg = rel
		}
	}
	day := now.Add(-24 * time.Hour).Format("2006-01-02")
	fmt.Fprintf(inv.stdout, "\nNext, with the configuration it left in %s:\n", cfg)
	fmt.Fprintf(inv.stdout, "  entra-archiver status --config %s            # watermarks, coverage, losses\n", cfg)
	fmt.Fprintf(inv.stdout, "  entra-archiver verify --config %s            # re-read and check every blob and the manifest chain\n", cfg)
	fmt.Fprintf(inv.stdout, "  entra-archiver export --config %s --tenant demo --stream interactive-signins \\\n", cfg)
	fmt.Fprintf(inv.stdout, "      --from %s --to %s --format csv -o signins.csv\n", day, now.Format("2006-01-02"))
	fmt.Fprintln(inv.stdout, "  entra-archiver demo --serve                   # the daemon on a live simulated tenant, status page at http://127.0.0.1:9464/")
	fmt.Fprintln(inv.stdout, "(from a checkout: go run ./cmd/entra-archiver instead of entra-archiver)")
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

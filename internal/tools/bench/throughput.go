package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

// ThroughputOptions configure the throughput scenario: one hour partition
// of Records records of Stream, unthrottled, archived by the binary.
type ThroughputOptions struct {
	// Binary is the entra-archiver binary; Self the executable that runs
	// the fetch-only child (the bench command or test binary).
	Binary, Self string
	// Dir is the work folder. It needs room for the spill files (about the
	// size of the Graph JSON) plus the archives.
	Dir     string
	Records int
	Stream  audit.Stream
	// Formats the archiver writes; default jsonl.
	Formats []string
	// Local runs the archiver against a local folder.
	Local bool
	// Azurite, when set, runs it against this Azurite blob endpoint too.
	Azurite string
	// Baselines runs curl+jq+gzip on the same pages (fetch-only always
	// runs: it measures the size of the Graph JSON).
	Baselines bool
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// ThroughputResult is one throughput scenario.
type ThroughputResult struct {
	Stream  string
	Formats []string
	// Records is what Graph holds for the hour (graphsim's ground truth).
	Records int
	// Rejected is how many more records Graph serves for the hour without a
	// readable id or time: the archiver quarantines them, a naive script
	// stores them with the others.
	Rejected int
	// GraphBytes is the size of the page bodies of one query of the hour,
	// as the fetch-only baseline read them.
	GraphBytes int64
	Runs       []Run
}

// Run is one measured child process.
type Run struct {
	Name  string
	Usage Usage
	// Requests is how many Graph requests graphsim counted.
	Requests int
	// Records stored and Bytes stored (compressed); Identical means the
	// stored records are exactly what Graph served, byte for byte.
	Records   int
	Bytes     int64
	Identical bool
}

// The fixed tenant of the throughput and memory scenarios.
var throughputTenant = benchTenant(0)

// RunThroughput runs the scenario.
func RunThroughput(ctx context.Context, o ThroughputOptions) (*ThroughputResult, error) {
	if o.Stream.Name == "" {
		o.Stream = audit.NonInteractiveSignIns
	}
	if len(o.Formats) == 0 {
		o.Formats = []string{"jsonl"}
	}
	logf := o.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	now := time.Now().UTC()
	hour := audit.Window{From: now.Truncate(time.Hour).Add(-3 * time.Hour)}
	hour.To = hour.From.Add(time.Hour)
	cfg := throughputTenant.simTenant(1)
	cfg.Volume = map[string]float64{o.Stream.Name: float64(o.Records)}
	cfg.Until = now.Truncate(time.Hour).Add(-time.Hour)
	// This scenario measures the CPU each archived byte costs against the
	// baselines, which query the hour in one request and retry nothing:
	// Graph's timeouts on wide queries and its intermittent licence 403 are
	// measured by the throttle scenario and the tests instead.
	cfg.WideQuery, cfg.LicenceFlake = -1, -1
	sim, err := startSim(o.Dir, graphsim.Options{Tenants: []graphsim.TenantConfig{cfg}})
	if err != nil {
		return nil, err
	}
	defer sim.Close()
	tenant := sim.Tenant(throughputTenant.ID)
	truth := truthSum(tenant, o.Stream, hour, now)
	res := &ThroughputResult{Stream: o.Stream.Name, Formats: o.Formats, Records: truth.Records,
		Rejected: len(tenant.Rejected(o.Stream.Name, hour, now))}
	requests := func() int { return tenant.Stats().Requests }
	first := firstPageURL(sim.GraphURL(), o.Stream, hour)

	logf("fetch-only: %d records", res.Records)
	token, err := fetchToken(ctx, sim, throughputTenant)
	if err != nil {
		return res, err
	}
	tokenFile, err := writeSecretFile(o.Dir, "token", token)
	if err != nil {
		return res, err
	}
	defer os.Remove(tokenFile)
	before := requests()
	fr, u, err := runFetchOnly(ctx, o.Self, first, tokenFile, sim.CAFile())
	if err != nil {
		return res, err
	}
	res.GraphBytes = fr.Bytes
	res.Runs = append(res.Runs, Run{Name: "fetch-only", Usage: u, Requests: requests() - before})

	for _, st := range o.storages() {
		logf("archiver → %s", st.Name())
		run, sum, err := o.archive(ctx, sim, st, hour, requests)
		if err != nil {
			return res, err
		}
		run.Identical = sum == truth
		res.Runs = append(res.Runs, run)
	}
	if !o.Baselines {
		return res, nil
	}
	logf("curl+jq+gzip baseline")
	out := filepath.Join(o.Dir, "script.jsonl.gz")
	before = requests()
	u, err = runScript(ctx, o.Dir, sim, throughputTenant, first, out)
	if err != nil {
		return res, err
	}
	run := Run{Name: "curl+jq+gzip", Usage: u, Requests: requests() - before}
	sum, err := sumFile(out)
	if err != nil {
		return res, fmt.Errorf("read the script's output: %w", err)
	}
	if fi, err := os.Stat(out); err == nil {
		run.Bytes = fi.Size()
	}
	run.Records, run.Identical = sum.Records, sum == truth
	res.Runs = append(res.Runs, run)
	return res, os.Remove(out)
}

// storages lists the sinks the archiver runs against.
func (o ThroughputOptions) storages() []Storage {
	var out []Storage
	if o.Local {
		out = append(out, Storage{Local: filepath.Join(o.Dir, "archive")})
	}
	if o.Azurite != "" {
		out = append(out, Storage{AzuriteConn: o.Azurite, Container: fmt.Sprintf("bench-%d", time.Now().UnixNano())})
	}
	return out
}

// archive backfills the hour with the binary into st and reads it back.
func (o ThroughputOptions) archive(ctx context.Context, sim *graphsim.Server, st Storage, hour audit.Window, requests func() int) (Run, contentSum, error) {
	run := Run{Name: "archiver → " + st.Name()}
	dir := filepath.Join(o.Dir, "archiver-"+st.Name())
	a, err := newArchiver(o.Binary, dir, sim, archiverConfig{
		Storage: st, App: unlimited, Tenants: []tenantIdentity{throughputTenant},
		Defaults: fmt.Sprintf("  streams: [%s]\n  formats: [%s]\n  rate_limit: %s\n",
			o.Stream.Name, strings.Join(o.Formats, ", "), unlimited.yaml()),
	})
	if err != nil {
		return run, contentSum{}, err
	}
	defer os.RemoveAll(dir)
	before := requests()
	run.Usage, err = a.run(ctx, "backfill", "--tenant", throughputTenant.Name, "--stream", o.Stream.Name,
		"--from", audit.FormatTime(hour.From), "--to", audit.FormatTime(hour.To))
	if err != nil {
		return run, contentSum{}, err
	}
	run.Requests = requests() - before
	sink, err := openSink(ctx, st)
	if err != nil {
		return run, contentSum{}, err
	}
	got, err := readArchive(ctx, sink, throughputTenant.Name+"/")
	if err != nil {
		return run, contentSum{}, err
	}
	run.Records, run.Bytes = got.Sum.Records, got.Bytes
	if st.Local != "" {
		err = os.RemoveAll(st.Local)
	}
	return run, got.Sum, err
}

// openSink opens the storage for reading back.
func openSink(ctx context.Context, st Storage) (archive.Sink, error) {
	if st.AzuriteConn != "" {
		return azblob.New(ctx, azblob.Options{ConnectionString: st.AzuriteConn, Container: st.Container})
	}
	return local.New(st.Local)
}

// truthSum sums what Graph serves for w (graphsim's ground truth), a
// minute at a time so that a million records never sit in memory at once.
func truthSum(t *graphsim.Tenant, st audit.Stream, w audit.Window, asOf time.Time) contentSum {
	var sum contentSum
	for from := w.From; from.Before(w.To); from = from.Add(time.Minute) {
		minute := audit.Window{From: from, To: from.Add(time.Minute)}.Intersect(w)
		for _, rec := range t.Visible(st.Name, minute, asOf) {
			sum.add(rec)
		}
	}
	return sum
}

package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// TestFailingTenantsDoNotStopOthers: of three tenants, one healthy, one with
// a wrong secret and one on the Free licence, the healthy one is archived
// completely and the Free one's audits too; the two failures are reported
// with what to fix, once each (no retry storm), counted in runs_total, and
// no secret reaches the log or the error.
func TestFailingTenantsDoNotStopOthers(t *testing.T) {
	f := startTenants(t, []tenantSpec{
		{name: "healthy", id: guid(1), client: guid(101), secret: "multi-Secret~healthy-1"},
		{name: "wrongsecret", id: guid(2), client: guid(102), secret: "multi-Secret~real-2", configured: "multi-Secret~stale-2"},
		{name: "free", id: guid(3), client: guid(103), secret: "multi-Secret~free-3", free: true},
	}, 300, nil)
	cfg := f.config(t, "defaults: {start: 24h, rate_limit: {requests: 100, per: 1s}}\ngraph: {app_rate_limit: {requests: 300, per: 1s}}")
	var logs syncBuffer
	a, err := app.New(context.Background(), app.Options{Config: cfg, GraphTransport: f.sim.HTTPClient(), Logger: bufferLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	err = a.Once(context.Background(), "", "")
	var failed *app.JobsFailed
	if !errors.As(err, &failed) || failed.Failed != 3 || failed.Total != 6 {
		t.Fatalf("Once: %v, want 3 of 6 jobs failed", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"wrongsecret/interactive-signins: ", "wrongsecret/directory-audits: ",
		"tenant " + guid(2) + ", client_id " + guid(102) + ": token request refused (AADSTS7000215): the client secret is wrong",
		"free/interactive-signins: ", "sign-in logs need Entra ID P1 or P2 in tenant " + guid(3) + "; directory audits keep working",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
	for _, job := range []string{"healthy/", "free/directory-audits"} {
		if strings.Contains(msg, job) {
			t.Errorf("%s reported as failed:\n%s", job, msg)
		}
	}
	f.noSecretIn(t, msg)
	f.noSecretIn(t, logs.String())

	sink := f.sink(t)
	f.archivedExactly(t, sink, "healthy", audit.InteractiveSignIns)
	f.archivedExactly(t, sink, "healthy", audit.DirectoryAudits)
	f.archivedExactly(t, sink, "free", audit.DirectoryAudits)

	// The Free tenant's sign-ins were asked twice (by the sign-ins job, and
	// by the audits job to learn the tenant's licence), the wrong secret's
	// token once per job (discovery and token): nothing was retried.
	if st := f.sim.Tenant(guid(3)).Stats(); st.ByStatus[403] != 2 {
		t.Errorf("Free tenant: %d answers 403, want 2", st.ByStatus[403])
	}
	if st := f.sim.Tenant(guid(2)).Stats(); st.Requests != 0 || st.TokenRequests > 4 {
		t.Errorf("wrong secret: %d Graph and %d token requests, want 0 and at most 4", st.Requests, st.TokenRequests)
	}
	runs := runsTotal(t, a.Registry())
	// Every job's series exist from the start, at 0 for the results it has
	// not had, so "failed and never ok" can be alerted on.
	want := map[string]float64{}
	for _, job := range []string{"healthy", "wrongsecret", "free"} {
		for _, st := range []string{"interactive-signins", "directory-audits"} {
			for _, result := range []string{"ok", "failed", "canceled"} {
				want[job+"/"+st+"/"+result] = 0
			}
		}
	}
	for _, k := range []string{"healthy/interactive-signins/ok", "healthy/directory-audits/ok", "wrongsecret/interactive-signins/failed",
		"wrongsecret/directory-audits/failed", "free/interactive-signins/failed", "free/directory-audits/ok"} {
		want[k] = 1
	}
	if fmt.Sprint(runs) != fmt.Sprint(want) {
		t.Errorf("runs_total %v, want %v", runs, want)
	}
}

// TestFiftyTenantsStayUnderTheAppLimit: 50 tenants with one or two streams
// each, paced by a per-app budget far smaller than their total demand,
// complete without Graph ever seeing more than the app limit in a window.
func TestFiftyTenantsStayUnderTheAppLimit(t *testing.T) {
	const appLimit, tenantLimit = 40, 5
	var tenants []tenantSpec
	for i := range 50 {
		st := tenantSpec{name: fmt.Sprintf("t%02d", i), id: guid(1000 + i), client: guid(2000 + i), secret: fmt.Sprintf("fifty-Secret~%02d", i)}
		if i%2 == 1 {
			st.streams = []string{"directory-audits"}
		}
		tenants = append(tenants, st)
	}
	f := startTenants(t, tenants, 20, func(o *graphsim.Options) {
		o.AppThrottle = &graphsim.Throttle{Requests: appLimit, Per: time.Second}
		for i := range o.Tenants {
			o.Tenants[i].Throttle = &graphsim.Throttle{Requests: tenantLimit, Per: time.Second}
		}
	})
	cfg := f.config(t, fmt.Sprintf("defaults: {start: 6h, rate_limit: {requests: %d, per: 1s}}\ngraph: {app_rate_limit: {requests: %d, per: 1s}}", tenantLimit, appLimit))
	a, err := app.New(context.Background(), app.Options{Config: cfg, GraphTransport: f.sim.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Once(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	sink := f.sink(t)
	for _, st := range f.tenants {
		f.archivedExactly(t, sink, st.name, audit.DirectoryAudits)
		if len(st.streams) == 0 {
			f.archivedExactly(t, sink, st.name, audit.InteractiveSignIns)
		}
	}
	stats := f.sim.AppStats()
	for _, st := range f.tenants {
		if ts := f.sim.Tenant(st.id).Stats(); ts.Throttled > 0 || ts.MaxInWindow > tenantLimit {
			t.Logf("tenant %s: %d requests in one second (limit %d), %d throttled", st.name, ts.MaxInWindow, tenantLimit, ts.Throttled)
		}
	}
	t.Logf("%d Graph requests, at most %d in a second, %d throttled", stats.Requests, stats.MaxInWindow, stats.Throttled)
	checkAppLimit(t, stats, appLimit)
}

// checkAppLimit fails when Graph saw more than the app limit in a window or
// throttled more than a few requests. The pacers space the instants they
// grant requests; the server counts arrivals, which a loaded machine (the
// race detector, a new TLS connection) and the wait for the app budget
// after the tenant's delay unevenly; with the one-second windows these
// tests use to stay short, a 100 ms stall of a loaded machine bunches a
// tenth of a window's requests. So 10 % over the limit and a few 429s
// (retried after their Retry-After) are tolerated. Without the app pacer
// these tenants would send several times the limit.
func checkAppLimit(t *testing.T, stats graphsim.Stats, limit int) {
	t.Helper()
	if stats.MaxInWindow > limit+limit/10 || stats.Throttled > stats.Requests/20 {
		t.Errorf("Graph saw %d requests in one second (limit %d) and throttled %d of %d", stats.MaxInWindow, limit, stats.Throttled, stats.Requests)
	}
}

// TestSmallTenantsAreNotStarvedByBackfills: three tenants backfilling a day
// of busy logs want more than the app budget; eight small tenants' catch-up
// runs of the last hours still finish long before the backfills do.
func TestSmallTenantsAreNotStarvedByBackfills(t *testing.T) {
	const appLimit, tenantLimit = 30, 15
	var tenants []tenantSpec
	for i := range 3 {
		tenants = append(tenants, tenantSpec{name: fmt.Sprintf("big%d", i), id: guid(3000 + i), client: guid(4000 + i),
			secret: fmt.Sprintf("fair-Secret~big%d", i), volume: 400, settings: "start: 24h, partition: day"})
	}
	for i := range 8 {
		tenants = append(tenants, tenantSpec{name: fmt.Sprintf("small%d", i), id: guid(5000 + i), client: guid(6000 + i),
			secret: fmt.Sprintf("fair-Secret~small%d", i), streams: []string{"directory-audits"}, settings: "start: 2h"})
	}
	f := startTenants(t, tenants, 5, func(o *graphsim.Options) {
		o.AppThrottle = &graphsim.Throttle{Requests: appLimit, Per: time.Second}
	})
	cfg := f.config(t, fmt.Sprintf("defaults: {rate_limit: {requests: %d, per: 1s}}\ngraph: {app_rate_limit: {requests: %d, per: 1s}}", tenantLimit, appLimit))
	a, err := app.New(context.Background(), app.Options{Config: cfg, GraphTransport: f.sim.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	start := time.Now()
	finished := make(map[string]time.Duration, len(tenants))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, st := range tenants {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Once(context.Background(), st.name, ""); err != nil {
				t.Errorf("%s: %v", st.name, err)
			}
			mu.Lock()
			finished[st.name] = time.Since(start)
			mu.Unlock()
		}()
	}
	wg.Wait()
	var slowestSmall, fastestBig time.Duration
	fastestBig = time.Hour
	for name, d := range finished {
		if strings.HasPrefix(name, "small") {
			slowestSmall = max(slowestSmall, d)
		} else {
			fastestBig = min(fastestBig, d)
		}
	}
	stats := f.sim.AppStats()
	t.Logf("slowest small tenant %s, fastest backfill %s; %d Graph requests, at most %d in a second, %d throttled",
		slowestSmall.Round(time.Millisecond), fastestBig.Round(time.Millisecond), stats.Requests, stats.MaxInWindow, stats.Throttled)
	if slowestSmall*3/2 > fastestBig {
		t.Errorf("small tenants took up to %s, the backfills finished from %s: small runs are starved", slowestSmall, fastestBig)
	}
	checkAppLimit(t, stats, appLimit)
	sink := f.sink(t)
	f.archivedExactly(t, sink, "big0", audit.InteractiveSignIns)
	f.archivedExactly(t, sink, "small0", audit.DirectoryAudits)
}

// archivedExactly compares what the archive holds for a job below its
// watermark with what Graph serves for that window.
func (f *tenantsFixture) archivedExactly(t *testing.T, sink archive.Sink, tenant string, st audit.Stream) {
	t.Helper()
	spec := f.tenants[slices.IndexFunc(f.tenants, func(s tenantSpec) bool { return s.name == tenant })]
	js, _, found, err := state.DocStore{Sink: sink}.Load(context.Background(), tenant, st.Name)
	if err != nil || !found {
		t.Fatalf("state of %s/%s: found=%v err=%v", tenant, st.Name, found, err)
	}
	want := f.sim.Tenant(spec.id).Visible(st.Name, audit.Window{From: js.Start, To: js.Watermark}, time.Now())
	got := archivedRecords(t, sink, tenant, st)
	slices.SortFunc(got, bytes.Compare)
	slices.SortFunc(want, bytes.Compare)
	if len(want) == 0 {
		t.Fatalf("%s/%s: Graph serves nothing: the test proves nothing", tenant, st.Name)
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("%s/%s: %d records archived, %d served (or they differ)", tenant, st.Name, len(got), len(want))
	}
}

// archivedRecords reads every gzipped jsonl part of a job.
func archivedRecords(t *testing.T, sink archive.Sink, tenant string, st audit.Stream) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	err := sink.List(ctx, layout.Layout{}.StreamDir(tenant, st.Name), func(o archive.Object) error {
		e, ok := layout.ParseName(st.Name, layout.BaseName(o.Name))
		if !ok || e.Manifest || e.Part.Format != format.JSONL {
			return nil
		}
		rc, err := sink.Open(ctx, o.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		zr, err := format.NewGzipReader(rc)
		if err != nil {
			return err
		}
		defer zr.Close()
		rd, err := format.NewReader(format.JSONL, st, zr)
		if err != nil {
			return err
		}
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", o.Name, err)
			}
			out = append(out, rec.Raw)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runsTotal reads entra_archiver_runs_total as "tenant/stream/result" → count.
func runsTotal(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != "entra_archiver_runs_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			out[labels["tenant"]+"/"+labels["stream"]+"/"+labels["result"]] = m.GetCounter().GetValue()
		}
	}
	return out
}

// bufferLogger is a JSON zap logger at debug level writing to w.
func bufferLogger(w io.Writer) *zap.Logger {
	return zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(w), zap.DebugLevel))
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSameDirectorySharesItsBudget: two configured tenants that are one
// directory read by one app (say, with different filters or formats) share
// Graph's per-tenant budget instead of each spending all of it.
func TestSameDirectorySharesItsBudget(t *testing.T) {
	const limit = 4
	spec := tenantSpec{name: "contoso", id: guid(3000), client: guid(3001), secret: "shared-Secret~1"}
	f := startTenants(t, []tenantSpec{spec}, 2500, func(o *graphsim.Options) {
		o.Tenants[0].Throttle = &graphsim.Throttle{Requests: limit, Per: time.Second}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "http: {listen: \"\"}\nstorage: {type: local, local: {path: %q}}\ndefaults: {start: 6h, rate_limit: {requests: %d, per: 1s}}\ntenants:\n", f.dir, limit)
	for _, c := range []struct{ name, stream string }{{"contoso-signins", "interactive-signins"}, {"contoso-audits", "directory-audits"}} {
		fmt.Fprintf(&b, "  - name: %s\n    tenant_id: %s\n    auth: {client_id: %s, client_secret_env: %s}\n    streams: [%s]\n",
			c.name, spec.id, spec.client, envName(spec.name), c.stream)
		fmt.Fprintf(&b, "    graph_endpoint: %s\n    authority_host: %s\n    disable_instance_discovery: true\n", f.sim.GraphURL(), f.sim.AuthorityHost())
	}
	a, err := app.New(context.Background(), app.Options{Config: loadConfig(t, b.String(), f.env...), GraphTransport: f.sim.HTTPClient()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Once(context.Background(), "", ""); err != nil {
		t.Fatal(err)
	}
	ts := f.sim.Tenant(spec.id).Stats()
	t.Logf("%d requests, at most %d in a second (limit %d), %d throttled", ts.Requests, ts.MaxInWindow, limit, ts.Throttled)
	if ts.Requests < 10 || ts.Throttled > ts.Requests/50 {
		t.Fatalf("Graph throttled %d of %d requests to the shared directory", ts.Throttled, ts.Requests)
	}
}

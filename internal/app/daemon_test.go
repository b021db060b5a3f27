package app_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scrape returns the value of every sample of the metrics page as
// "name{labels}" → value, with labels in the exposition's order.
// Until the listener is up it returns an empty map.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return map[string]float64{}
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			key := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDaemonInProcess boots the whole daemon against the simulated Graph
// and Azurite, scrapes /metrics while windows are archived, checks the
// probes and the status page, and reloads its configuration (a broken file is
// refused and flagged, a good one applied).
func TestDaemonInProcess(t *testing.T) {
	now := time.Now().UTC()
	sim, err := graphsim.Start(graphsim.Options{Dir: t.TempDir(), Tenants: []graphsim.TenantConfig{{
		ID: testTenantID, ClientID: testClientID, ClientSecret: testSecret, Seed: 8,
		Volume: map[string]float64{"interactive-signins": 7200, "directory-audits": 3600},
		Epoch:  now.Add(-2 * time.Hour),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	conn := testenv.Azurite(t)
	container := testenv.Container(t)
	listen := freePort(t)
	yaml := func(schedule string) string {
		return fmt.Sprintf(`
http: {listen: %q}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
defaults:
  schedule: %q
  settle: 1s
  recheck: [5s]
  start: 90m
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
tenants:
  - name: contoso
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: SIM_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, listen, container, schedule, testTenantID, testClientID, sim.GraphURL(), sim.AuthorityHost())
	}
	env := []string{"SIM_SECRET=" + testSecret, "AZURE_STORAGE_CONNECTION_STRING=" + conn}
	cfg := loadConfig(t, yaml("@every 1s"), env...)
	a, err := app.New(context.Background(), app.Options{
		Config: cfg, GraphTransport: sim.HTTPClient(), Logger: zap.NewNop(),
		StorageClient: &azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	next := make(chan *config.Config, 1)
	reload := make(chan struct{})
	load := func() (*config.Config, error) {
		if c := <-next; c != nil {
			return c, nil
		}
		return nil, errors.New("tenants[0].auth.client_id: required")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, app.RunOptions{Reload: reload, Load: load}) }()
	base := "http://" + listen

	key := func(name, stream string) string {
		return fmt.Sprintf("entra_archiver_%s{stream=%s,tenant=contoso}", name, stream)
	}
	var first map[string]float64
	waitFor(t, func() bool {
		m := scrape(t, base)
		if m[key("records_archived_total", "interactive-signins")] > 0 && m[key("records_archived_total", "directory-audits")] > 0 &&
			m[key("run_duration_seconds", "interactive-signins")] > 0 {
			first = m
			return true
		}
		return false
	})
	for _, name := range []string{"blobs_written_total", "bytes_written_total", "watermark_timestamp_seconds", "lag_seconds", "run_duration_seconds"} {
		if first[key(name, "interactive-signins")] <= 0 {
			t.Errorf("%s not set after archiving: %v", name, first[key(name, "interactive-signins")])
		}
	}
	if first["entra_archiver_graph_requests_total{code=200,stream=interactive-signins,tenant=contoso}"] <= 0 {
		t.Error("graph_requests_total{code=200} not counted")
	}
	if first["entra_archiver_config_last_reload_successful{}"] != 1 {
		t.Error("config_last_reload_successful should be 1 after start")
	}
	// What Prometheus users expect of every process, and a job's series
	// from the start (at 0 until something happens).
	for _, series := range []string{"go_goroutines{}", "process_resident_memory_bytes{}", key("lost_seconds_total", "directory-audits"),
		key("quarantined_records_total", "directory-audits"), `entra_archiver_runs_total{result=failed,stream=directory-audits,tenant=contoso}`,
		`entra_archiver_graph_budget_need_ratio{tenant=contoso}`} {
		if _, ok := first[series]; !ok {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	buildInfo := false
	for k, v := range first {
		buildInfo = buildInfo || (strings.HasPrefix(k, "entra_archiver_build_info{goversion=go") && strings.Contains(k, ",version=") && v == 1)
	}
	if !buildInfo {
		t.Error("/metrics lacks entra_archiver_build_info{goversion, version} 1")
	}
	// Values move as new windows are archived.
	waitFor(t, func() bool {
		m := scrape(t, base)
		return m[key("records_archived_total", "interactive-signins")] > first[key("records_archived_total", "interactive-signins")] &&
			m[key("watermark_timestamp_seconds", "interactive-signins")] > first[key("watermark_timestamp_seconds", "interactive-signins")] &&
			m[`entra_archiver_runs_total{result=ok,stream=interactive-signins,tenant=contoso}`] > first[`entra_archiver_runs_total{result=ok,stream=interactive-signins,tenant=contoso}`]
	})
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatalf("/healthz %d", code)
	}
	if code, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz %d %s", code, body)
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "interactive-signins") || !strings.Contains(body, "directory-audits") {
		t.Fatalf("status page %d: %.300s", code, body)
	}

	// A broken configuration is refused: the daemon keeps running on the
	// old one and says so in the gauge.
	next <- nil
	reload <- struct{}{}
	waitFor(t, func() bool { return scrape(t, base)["entra_archiver_config_last_reload_successful{}"] == 0 })
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Fatal("daemon stopped serving after a failed reload")
	}
	before := scrape(t, base)[key("records_archived_total", "interactive-signins")]
	waitFor(t, func() bool { return scrape(t, base)[key("records_archived_total", "interactive-signins")] > before })

	// A good one is applied.
	next <- loadConfig(t, yaml("@every 2s"), env...)
	reload <- struct{}{}
	waitFor(t, func() bool { return scrape(t, base)["entra_archiver_config_last_reload_successful{}"] == 1 })
	if got := a.Config().Tenants[0].Settings.Schedule; got != "@every 2s" {
		t.Fatalf("schedule after reload %q", got)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(app.StopTimeout + 10*time.Second):
		t.Fatal("daemon did not stop")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 60s")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

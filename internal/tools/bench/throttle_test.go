package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestThrottleSmoke backfills a day of a small tenant under a throttle: the
// archive must equal what Graph serves (checked inside against graphsim's
// ground truth) and the requests must be counted and reported.
func TestThrottleSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary against the simulated Graph (-short)")
	}
	p := Profile{Name: "small", Volume: map[string]float64{"interactive-signins": 300, "directory-audits": 100}}
	res, err := RunThrottle(context.Background(), ThrottleOptions{
		Binary: archiverBinary, Dir: workDir(t), Limit: RateLimit{Requests: 50, Per: time.Second},
		Profiles: []Profile{p}, Start: "24h",
	})
	if err != nil {
		t.Fatal(err)
	}
	run := res.Runs[0]
	// start: 24h begins at the hour boundary before now - 24h and the
	// watermark stops at now - settle (15 min): 23.75 to 24.75 hours,
	// depending on the minute the test runs.
	if run.Days < 0.98 || run.Days > 1.1 || run.Records < 8000 {
		t.Fatalf("archived %d records over %.2f days, want a day of about 9,600", run.Records, run.Days)
	}
	// At least a page per 1,000 records of each stream, plus the retention
	// probes; the planner keeps the rest small.
	if min := run.Records/1000 + 2; run.Requests < min || run.Requests > 3*min {
		t.Fatalf("%d requests for %d records", run.Requests, run.Records)
	}
	if run.Rate <= 0 || run.Usage.CPU() <= 0 {
		t.Fatalf("not measured: rate %v, usage %+v", run.Rate, run.Usage)
	}
	var out bytes.Buffer
	res.WriteMarkdown(&out)
	if !strings.Contains(out.String(), "| small | directory-audits 100/h, interactive-signins 300/h | 1.0 |") {
		t.Fatalf("report:\n%s", out.String())
	}
}

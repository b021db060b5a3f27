package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestTenantsSmoke runs the many-tenants scenario with three tenants, time
// sped up fifty-fold: the daemon must run, its runs be read from its log and
// judged per tick, and the backfilling tenant archive records meanwhile.
func TestTenantsSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary against the simulated Graph (-short)")
	}
	res, err := RunTenants(context.Background(), TenantsOptions{
		Binary: archiverBinary, Dir: workDir(t), Tenants: 3, Scale: 50, Period: 3 * time.Second, Rounds: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Small
	if s.Ticks != 1 || len(s.Completions) != 2 {
		t.Fatalf("judged %d ticks with %d completions, want 1 tick of 2 small tenants", s.Ticks, len(s.Completions))
	}
	if res.BigRecords == 0 || res.BigRequests == 0 || res.AppRequests <= res.BigRequests {
		t.Fatalf("backfill archived %d records in %d requests of %d", res.BigRecords, res.BigRequests, res.AppRequests)
	}
	if res.Daemon.CPU() <= 0 || res.Daemon.MaxRSS <= 0 {
		t.Fatalf("daemon not measured: %+v", res.Daemon)
	}
	var out bytes.Buffer
	res.WriteMarkdown(&out)
	if !strings.Contains(out.String(), "| ticks judged (each with a deadline of two periods before the daemon stopped) | 1 |") {
		t.Fatalf("report:\n%s", out.String())
	}
}

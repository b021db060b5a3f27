package status_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

// timestampRE matches the RFC 3339 times of a JSON document.
var timestampRE = regexp.MustCompile(`"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:\d\d)"`)

// TestReportIsInUTC: status --json gives every time in UTC (DESIGN.md "UTC
// everywhere"), also when a state document holds times with another
// offset (written by hand, by an older build or another tool): generated,
// the rows' times, the last run, the chain head, the lost spans and the
// days.
func TestReportIsInUTC(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	// The report before the documents are shifted, by a clock in UTC: the
	// shifted ones, read by a clock in another zone, must give the same
	// instants, not only the same "Z".
	o := f.Options()
	o.Now = func() time.Time { return t0 }
	want, err := json.Marshal(collect(t, o))
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("CEST", 2*3600)
	for _, job := range []string{"contoso/interactive-signins", "contoso/directory-audits", "fabrikam/provisioning"} {
		doc := filepath.Join(f.Dir, "_state", filepath.FromSlash(job)+".json")
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		shifted := timestampRE.ReplaceAllFunc(data, func(m []byte) []byte {
			at, err := time.Parse(time.RFC3339Nano, string(m[1:len(m)-1]))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(`"` + at.In(zone).Format(time.RFC3339Nano) + `"`)
		})
		if err := os.WriteFile(doc, shifted, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	o.Now = func() time.Time { return t0.In(zone) }
	rep := collect(t, o)
	out, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	times := timestampRE.FindAllSubmatch(out, -1)
	if len(times) < 100 {
		t.Fatalf("only %d times in the report:\n%s", len(times), out)
	}
	for _, m := range times {
		if string(m[2]) != "Z" {
			t.Errorf("time %s is not in UTC", m[0])
		}
	}
	if string(out) != string(want) {
		t.Errorf("the report changed when the state documents were written with another offset:\n got %s\nwant %s", out, want)
	}
	if r := rep.Rows[1]; r.ChainHead == nil || len(r.Lost) == 0 || r.LastRun == nil {
		t.Fatalf("contoso/directory-audits lacks a chain head, lost span or last run to check: %+v", r)
	}
}

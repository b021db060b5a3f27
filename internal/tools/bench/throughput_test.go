package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestThroughputSmoke runs the throughput scenario on 10,000 records: every
// run must have served or stored exactly Graph's records (the archiver's
// byte for byte, compared with graphsim's ground truth), every child must
// have been measured, and the report must show it.
func TestThroughputSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary, Azurite and the shell baseline (-short)")
	}
	// Like Chromium for the status page, curl and jq are Debian packages CI
	// installs; elsewhere the baseline is left out with a message.
	baselines := os.Getenv("CI") != ""
	if err := checkScriptTools(); err == nil {
		baselines = true
	} else if !baselines {
		t.Logf("leaving out the curl+jq+gzip baseline: %v", err)
	}
	res, err := RunThroughput(context.Background(), ThroughputOptions{
		Binary: archiverBinary, Self: self(t), Dir: workDir(t), Records: 10000,
		Local: true, Azurite: testenv.Azurite(t), Baselines: baselines,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records < 9000 || res.Records > 11000 {
		t.Fatalf("the hour holds %d records, want about 10,000", res.Records)
	}
	pages := (res.Records + 999) / 1000
	names := []string{}
	for _, run := range res.Runs {
		names = append(names, run.Name)
		if run.Usage.CPU() <= 0 || run.Usage.Wall <= 0 || run.Usage.MaxRSS <= 0 {
			t.Errorf("%s: not measured: %+v", run.Name, run.Usage)
		}
		// One query of the hour: a page per 1,000 records, plus an empty
		// last page when the last one was full.
		if run.Requests < pages || run.Requests > pages+1 {
			t.Errorf("%s: %d requests for %d records", run.Name, run.Requests, res.Records)
		}
		switch run.Name {
		case "fetch-only":
		case "curl+jq+gzip":
			// jq re-encodes strings (\u003c becomes <): same records,
			// other bytes; and it keeps the records the archiver
			// quarantines.
			if run.Records != res.Records+res.Rejected {
				t.Errorf("%s stored %d records, Graph served %d (%d of them unarchivable)", run.Name, run.Records, res.Records+res.Rejected, res.Rejected)
			}
		default:
			if !run.Identical || run.Records != res.Records || run.Bytes <= 0 {
				t.Errorf("%s: stored %d records (%d bytes), identical to Graph's %d: %v", run.Name, run.Records, run.Bytes, res.Records, run.Identical)
			}
		}
	}
	want := "fetch-only,archiver → local,archiver → azblob"
	if baselines {
		want += ",curl+jq+gzip"
	}
	if got := strings.Join(names, ","); got != want {
		t.Fatalf("runs %s, want %s", got, want)
	}
	if res.GraphBytes < int64(res.Records)*1000 {
		t.Fatalf("%d bytes of Graph JSON for %d records", res.GraphBytes, res.Records)
	}
	var out bytes.Buffer
	res.WriteMarkdown(&out)
	lines := []string{"| archiver → azblob |"}
	if baselines {
		lines = append(lines, "| curl+jq+gzip |", "CPU of curl+jq+gzip / archiver")
	}
	for _, want := range lines {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

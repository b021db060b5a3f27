package cli_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/cli"
)

// TestDemo runs the README's first command twice: the first run archives
// two days of six streams, the second only what is new, and the result
// verifies clean.
func TestDemo(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo-archive")
	newRecords := regexp.MustCompile(`This run archived (\d+) new records in (\d+) new blobs\.`)
	run := func() (records, blobs int) {
		t.Helper()
		code, stdout, stderr := entra(t, "demo", "--dir", dir)
		m := newRecords.FindStringSubmatch(stdout)
		if code != cli.ExitOK || m == nil {
			t.Fatalf("demo: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
		}
		if !strings.Contains(stdout, "entra-archiver status --config ") || !strings.Contains(stdout, "demo --serve") {
			t.Errorf("demo does not end with the next commands to try:\n%s", stdout)
		}
		for _, stream := range []string{"interactive-signins", "noninteractive-signins", "serviceprincipal-signins",
			"managedidentity-signins", "directory-audits", "provisioning"} {
			if !strings.Contains(stdout, "\n"+stream+" ") {
				t.Errorf("demo output has no row for %s:\n%s", stream, stdout)
			}
		}
		records, _ = strconv.Atoi(m[1])
		blobs, _ = strconv.Atoi(m[2])
		return records, blobs
	}
	if records, blobs := run(); records < 50_000 || blobs < 500 {
		t.Fatalf("first demo run archived %d records in %d blobs, want two days of six streams", records, blobs)
	}
	// The second run finds only the records that settled in between.
	if records, _ := run(); records > 1000 {
		t.Fatalf("second demo run archived %d records: not incremental", records)
	}
	// The demo leaves its configuration beside the archive, and status,
	// verify and export read the archive with it as it is (no secret).
	config := dir + ".yaml"
	if _, err := os.Stat(config); err != nil {
		t.Fatalf("demo left no configuration beside its archive: %v", err)
	}
	if code, stdout, stderr := entra(t, "status", "--config", config); code != cli.ExitOK || !strings.Contains(stdout, "demo    interactive-signins ") {
		t.Fatalf("status with the demo's configuration: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	code, stdout, stderr := entra(t, "verify", "--config", config)
	// The simulated Graph serves about one record in 20,000 without a time
	// or id, as production does: verify reports them, not as faults.
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	last := lines[len(lines)-1]
	if code != cli.ExitOK || !strings.HasPrefix(last, "verified 6 job(s): ") || !strings.HasSuffix(last, ": no faults") {
		t.Fatalf("verify of the demo archive: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
}

// TestDemoServe runs the daemon on the live simulated tenant: the status
// page and /metrics serve what it archives, and stopping it exits 0.
func TestDemoServe(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for a while")
	}
	dir := filepath.Join(t.TempDir(), "demo-archive")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.MainContext(ctx, []string{"demo", "--dir", dir, "--serve", "--listen", addr}, &stdout, &stderr, archiveEnv)
	}()
	archived := regexp.MustCompile(`entra_archiver_records_archived_total\{stream="interactive-signins",tenant="demo"\} ([0-9.e+]+)`)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the daemon archived nothing within 2 minutes\nstdout: %s\nstderr: %s", stdout.String(), lastLinesOf(stderr.String(), 20))
		}
		time.Sleep(time.Second)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := archived.FindSubmatch(body); m != nil && string(m[1]) != "0" {
			break
		}
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "interactive-signins") {
		t.Fatalf("status page %d: %.300s", resp.StatusCode, page)
	}
	cancel()
	select {
	case code := <-done:
		if code != cli.ExitOK {
			t.Fatalf("demo --serve exited %d after the stop\n%s", code, lastLinesOf(stderr.String(), 20))
		}
	case <-time.After(45 * time.Second):
		t.Fatal("demo --serve did not stop")
	}
	if !strings.Contains(stdout.String(), "Status page: http://"+addr+"/") {
		t.Errorf("demo --serve does not say where its status page is:\n%s", stdout.String())
	}
	if _, err := os.Stat(dir + ".yaml"); err != nil {
		t.Errorf("demo --serve left no configuration: %v", err)
	}
}

func lastLinesOf(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

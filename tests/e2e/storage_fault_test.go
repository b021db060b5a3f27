package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// frozenTenant is a tenant whose records stop an hour ago, so what Graph
// serves below any watermark no longer changes.
func frozenTenant(now time.Time, seed int64, volume map[string]float64) graphsim.TenantConfig {
	return graphsim.TenantConfig{
		ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: seed,
		Volume: volume, Epoch: now.Add(-13 * time.Hour), Until: now.Add(-time.Hour),
	}
}

var faultStreams = []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits}

// checkCommitted checks the durability order after an interrupted run: every
// record below a job's watermark is archived exactly once, so the watermark
// never moved past what is stored. Parts above the watermark may exist (a
// run stopped between upload and commit). A job without state is skipped.
// It returns how many records it found committed.
func checkCommitted(t *testing.T, sink archive.Sink, sim *graphsim.Server, streams []audit.Stream) int {
	t.Helper()
	committed := 0
	for _, st := range streams {
		s, _, found, err := state.DocStore{Sink: sink, Layout: layout.Layout{}}.Load(context.Background(), "contoso", st.Name)
		if err != nil {
			t.Fatalf("state of %s: %v", st.Name, err)
		}
		if !found {
			continue
		}
		var below []stored
		for _, r := range readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour) {
			rec, err := audit.ParseRecord([]byte(r.raw), st.TimeField)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Time.Before(s.Watermark) {
				below = append(below, r)
			}
		}
		want := sim.Tenant(tenantID).Visible(st.Name, audit.Window{From: s.Start, To: s.Watermark}, time.Now())
		if len(want) == 0 {
			continue // the first partition was not committed yet
		}
		exactly(t, st.Name+" below its watermark "+s.Watermark.Format(time.RFC3339), below, want)
		committed += len(below)
	}
	return committed
}

// checkFinal checks the archive after a final successful run: exact over
// the archived span, which reaches the last hour.
func checkFinal(t *testing.T, sink archive.Sink, sim *graphsim.Server, streams []audit.Stream, now time.Time) {
	t.Helper()
	for _, st := range streams {
		s := loadState(t, sink, layout.Layout{}, "contoso", st.Name)
		if s.Watermark.Before(now.Add(-time.Hour)) {
			t.Fatalf("%s: watermark %s: the final run did not catch up", st.Name, s.Watermark)
		}
		exactly(t, st.Name, readStream(t, sink, layout.Layout{}, "contoso", st, audit.Hour),
			sim.Tenant(tenantID).Visible(st.Name, audit.Window{From: s.Start, To: s.Watermark}, time.Now()))
	}
}

// TestAzuriteStoppedMidRun stops Azurite (kept on disk) while `once` is
// writing. A brief outage is ridden out by retries; a long one fails the
// run (exit 1). Either way the run commits nothing it has not stored, and
// once Azurite is back a final run is exact.
func TestAzuriteStoppedMidRun(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		// outage is how long Azurite stays down; 0 means until once exits.
		outage time.Duration
	}{
		{"brief outage", 4 * time.Second},
		{"outage until the run gives up", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := time.Now().UTC()
			sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{
				frozenTenant(now, 23, map[string]float64{"interactive-signins": 3000, "directory-audits": 1500}),
			}})
			az := testenv.StartAzurite(t, "")
			container := testenv.Container(t)
			p := newProcess(t, sim, fmt.Sprintf(`
http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: AZURE_STORAGE_CONNECTION_STRING, container: %s}
defaults:
  start: 12h
  formats: [jsonl, csv]
  rate_limit: {requests: 4, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, container, tenantYAML(sim, "")), "AZURE_STORAGE_CONNECTION_STRING="+az.ConnectionString())

			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd, _, stderr := p.command(ctx, "once")
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			time.Sleep(3 * time.Second)
			az.Stop()
			var err error
			if tt.outage > 0 {
				time.Sleep(tt.outage)
				az.Start()
				err = <-exited
			} else {
				err = <-exited
				az.Start()
				if err == nil {
					t.Fatal("once succeeded while Azurite was down")
				}
			}
			t.Logf("interrupted once: %v\n%s", err, lastLines(stderr.String(), 3))
			if code := cmd.ProcessState.ExitCode(); code != 0 && code != 1 {
				t.Fatalf("once exited %d, want 0 or 1", code)
			}
			sink, err := azblob.New(context.Background(), azblob.Options{ConnectionString: az.ConnectionString(), Container: container})
			if err != nil {
				t.Fatal(err)
			}
			checkCommitted(t, sink, sim, faultStreams)

			p.mustRun("once")
			checkFinal(t, sink, sim, faultStreams, now)
		})
	}
}

// mountTmpfs mounts a tmpfs of size at a fresh folder. It needs root (CI and
// the development machines run tests as root); elsewhere the test is
// skipped with the reason.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0750"); err != nil {
		t.Skipf("mounting a tmpfs needs root (CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func remount(t *testing.T, dir string, flags uintptr, data string) {
	t.Helper()
	if err := unix.Mount("", dir, "", unix.MS_REMOUNT|flags, data); err != nil {
		t.Fatalf("remount %s (%s): %v", dir, data, err)
	}
}

func localConfig(sim *graphsim.Server, dir string) string {
	return fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  start: 12h
  formats: [jsonl, json, csv]
  compression: none
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, dir, tenantYAML(sim, ""))
}

// TestLocalSinkDiskFull archives onto a tmpfs too small for the archive:
// `once` exits 1 naming the cause, no watermark passes what is stored, and
// after the disk grows a final run is exact.
func TestLocalSinkDiskFull(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{
		frozenTenant(now, 29, map[string]float64{"interactive-signins": 300, "directory-audits": 150}),
	}})
	dir := mountTmpfs(t, "6m")
	p := newProcess(t, sim, localConfig(sim, dir))

	code, _, stderr := p.run("once")
	if code != 1 || !strings.Contains(stderr, "no space left on device") {
		t.Fatalf("once on a full disk exited %d; want 1 and the cause\n%s", code, lastLines(stderr, 10))
	}
	sink := localSink(t, dir)
	n := checkCommitted(t, sink, sim, faultStreams)
	if n == 0 {
		t.Fatal("nothing was committed before the disk filled: the check proves nothing")
	}
	t.Logf("%d records committed before the disk filled", n)

	remount(t, dir, 0, "size=256m")
	p.mustRun("once")
	checkFinal(t, sink, sim, faultStreams, now)
}

// TestLocalSinkReadOnly makes the archive's file system read-only between
// two runs: `once` exits 1 naming the cause and changes nothing; once the
// file system is writable again a final run is exact.
func TestLocalSinkReadOnly(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	sim := startSim(t, graphsim.Options{Tenants: []graphsim.TenantConfig{
		frozenTenant(now, 31, map[string]float64{"interactive-signins": 600, "directory-audits": 300}),
	}})
	dir := mountTmpfs(t, "256m") // uncompressed beta sign-ins: about 60 MB
	p := newProcess(t, sim, localConfig(sim, dir))
	p.mustRun("once", "--stream", "directory-audits")
	before := tree(t, dir)

	remount(t, dir, unix.MS_RDONLY, "")
	code, _, stderr := p.run("once")
	if code != 1 || !strings.Contains(stderr, "read-only file system") {
		t.Fatalf("once on a read-only archive exited %d; want 1 and the cause\n%s", code, lastLines(stderr, 10))
	}
	if after := tree(t, dir); !slices.Equal(before, after) {
		t.Fatalf("a failed run on a read-only archive changed it:\nbefore %v\nafter  %v", before, after)
	}

	remount(t, dir, 0, "")
	p.mustRun("once")
	checkFinal(t, localSink(t, dir), sim, faultStreams, now)
}

// tree lists the files below dir with their sizes.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d", strings.TrimPrefix(path, dir), info.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

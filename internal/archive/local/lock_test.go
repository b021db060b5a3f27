package local_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
)

// TestLeaseExpiry: two sinks on one folder stand for two replicas. A lease
// blocks the other replica until it expires by the clock; a renewal pushes
// expiry back; once another replica took the lock, the old lease is lost.
func TestLeaseExpiry(t *testing.T) {
	root := t.TempDir()
	clock := fakeclock.New(time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC))
	a, err := local.New(root, local.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	b, err := local.New(root, local.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	const name, ttl = "_locks/contoso", time.Minute
	held, err := a.Acquire(ctx, name, ttl)
	if err != nil {
		t.Fatal(err)
	}
	wantLeased := func(step string) {
		t.Helper()
		if _, err := b.Acquire(ctx, name, ttl); !errors.Is(err, archive.ErrLeased) {
			t.Fatalf("%s: Acquire by the other replica = %v, want ErrLeased", step, err)
		}
	}
	wantLeased("fresh lease")
	clock.Advance(59 * time.Second)
	wantLeased("1s before expiry")
	if err := held.Renew(ctx); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	clock.Advance(59 * time.Second)
	wantLeased("59s after renewal")
	clock.Advance(2 * time.Second)
	if err := held.Renew(ctx); err != nil {
		t.Fatalf("Renew of an expired lease nobody took: %v", err)
	}
	wantLeased("after late renewal")

	clock.Advance(ttl) // expires exactly now: free
	taken, err := b.Acquire(ctx, name, ttl)
	if err != nil {
		t.Fatalf("Acquire after expiry: %v", err)
	}
	if err := held.Renew(ctx); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Renew of a lease taken over = %v, want ErrLeased", err)
	}
	if err := held.Release(ctx); err != nil {
		t.Fatalf("Release of a lease taken over: %v", err)
	}
	if _, err := a.Acquire(ctx, name, ttl); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Acquire after the old holder's Release = %v, want ErrLeased", err)
	}
	if err := taken.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Acquire(ctx, name, ttl); err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
}

// TestLeaseFileDamaged: a lease file left half-written by a crash is a free
// lock.
func TestLeaseFileDamaged(t *testing.T) {
	s := newSink(t)
	lease := filepath.Join(s.Root(), "_locks", "t", ".s.lease")
	if err := os.MkdirAll(filepath.Dir(lease), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lease, []byte(`{"owner":"dead","expi`), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(t.Context(), "_locks/t/s", time.Minute); err != nil {
		t.Fatalf("Acquire over a damaged lease file: %v", err)
	}
	if _, err := s.Acquire(t.Context(), "_locks/t/s", 0); !errors.Is(err, archive.ErrInvalid) {
		t.Fatalf("Acquire with ttl 0 = %v, want ErrInvalid", err)
	}
}

// TestTenantLockBesideOldJobLocks: versions before tenant leases locked
// "_locks/{tenant}/{stream}", which on disk is a folder "_locks/{tenant}/"
// of lease files. The tenant's lock "_locks/{tenant}" is the file
// "_locks/.{tenant}.lease" beside that folder: neither is in the other's
// way, and a job lease an old process still holds stays held.
func TestTenantLockBesideOldJobLocks(t *testing.T) {
	s := newSink(t)
	old := filepath.Join(s.Root(), "_locks", "contoso", ".interactive-signins.lease")
	if err := os.MkdirAll(filepath.Dir(old), 0o750); err != nil {
		t.Fatal(err)
	}
	held := fmt.Sprintf(`{"owner":"old","host":"another-host","pid":7,"expires":%q}`, time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if err := os.WriteFile(old, []byte(held), 0o640); err != nil {
		t.Fatal(err)
	}
	lease, err := s.Acquire(t.Context(), "_locks/contoso", time.Minute)
	if err != nil {
		t.Fatalf("Acquire of the tenant's lock beside an old job lock: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "_locks", ".contoso.lease")); err != nil {
		t.Fatalf("the tenant's lease file: %v", err)
	}
	if fi, err := os.Stat(filepath.Dir(old)); err != nil || !fi.IsDir() {
		t.Fatalf("the old job locks' folder: %v", err)
	}
	if _, err := s.Acquire(t.Context(), "_locks/contoso/interactive-signins", time.Minute); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Acquire of the old job lock its old holder still has = %v, want ErrLeased", err)
	}
	if err := lease.Renew(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := lease.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

const (
	counterRootEnv    = "ENTRA_ARCHIVER_LOCAL_COUNTER_ROOT"
	counterIncrements = 25
)

// TestDocAcrossProcesses runs several processes that each increment a
// counter document with read / compare-and-swap / retry. A lost update
// (two processes both winning one version) leaves the count short.
func TestDocAcrossProcesses(t *testing.T) {
	const procs = 4
	root := t.TempDir()
	var wg sync.WaitGroup
	outs := make([][]byte, procs)
	errs := make([]error, procs)
	for i := range procs {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCounterProcess$")
			cmd.Env = append(os.Environ(), counterRootEnv+"="+root)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
	}
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := s.ReadDoc(t.Context(), "counter")
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(procs * counterIncrements); string(data) != want {
		t.Fatalf("counter = %s, want %s", data, want)
	}
}

// TestCounterProcess is the child of TestDocAcrossProcesses.
func TestCounterProcess(t *testing.T) {
	root := os.Getenv(counterRootEnv)
	if root == "" {
		t.Skip("child process of TestDocAcrossProcesses")
	}
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	for done := 0; done < counterIncrements; {
		n, version := 0, ""
		data, v, err := s.ReadDoc(t.Context(), "counter")
		switch {
		case err == nil:
			if n, err = strconv.Atoi(string(data)); err != nil {
				t.Fatal(err)
			}
			version = v
		case !errors.Is(err, archive.ErrNotFound):
			t.Fatal(err)
		}
		_, err = s.WriteDoc(t.Context(), "counter", fmt.Appendf(nil, "%d", n+1), version)
		switch {
		case err == nil:
			done++
		case !errors.Is(err, archive.ErrConflict):
			t.Fatal(err)
		}
	}
}

const leaseChildEnv = "ENTRA_ARCHIVER_TEST_LEASE_CHILD"

// TestLeaseOfDeadProcess: a lease whose holder died on this host (kill -9,
// a crash) is taken at once rather than after its expiry, so a restarted
// service resumes its jobs; one whose holder still runs is not.
func TestLeaseOfDeadProcess(t *testing.T) {
	if _, err := os.Readlink("/proc/self/ns/pid"); err != nil {
		t.Skip("needs Linux PID namespaces: ", err)
	}
	root := t.TempDir()
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	const name = "_locks/contoso"
	child := func(mode string) *exec.Cmd {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestLeaseChild$")
		cmd.Env = append(os.Environ(), leaseChildEnv+"="+mode+":"+root)
		return cmd
	}
	// Holder alive: the lease stands.
	alive := child("hold")
	stdin, err := alive.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := alive.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := alive.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "held" {
		t.Fatalf("child: %q, %v", buf, err)
	}
	if _, err := s.Acquire(t.Context(), name, time.Hour); !errors.Is(err, archive.ErrLeased) {
		t.Fatalf("Acquire while the holder runs = %v, want ErrLeased", err)
	}
	stdin.Close()
	if err := alive.Wait(); err != nil {
		t.Fatal(err)
	}
	// The child exited holding an hour's lease: it is gone, the lease is free.
	lease, err := s.Acquire(t.Context(), name, time.Hour)
	if err != nil {
		t.Fatalf("Acquire after the holder died = %v, want the lease", err)
	}
	if err := lease.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestLeaseChild is the child of TestLeaseOfDeadProcess: it takes an hour's
// lease, says "held", and exits without releasing it when stdin closes.
func TestLeaseChild(t *testing.T) {
	mode, root, ok := strings.Cut(os.Getenv(leaseChildEnv), ":")
	if !ok || mode != "hold" {
		t.Skip("child process of TestLeaseOfDeadProcess")
	}
	s, err := local.New(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(t.Context(), "_locks/contoso", time.Hour); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("held")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0) // no Release, no test cleanup: as if killed
}

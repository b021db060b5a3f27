package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/partstest"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// binary is the entra-archiver binary under test, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "entra-archiver-e2e-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "entra-archiver")
	build := exec.Command("go", "build", "-o", binary, "github.com/entra-archiver/entra-archiver/cmd/entra-archiver")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build entra-archiver:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	testenv.Main(m)
}

const (
	tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	clientID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
	secret   = "e2e-Secret~0123456789abcdefXYZ"
)

// process runs the binary with a config and environment.
type process struct {
	t      *testing.T
	config string
	env    []string
}

func newProcess(t *testing.T, sim *graphsim.Server, configText string, env ...string) *process {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(configText), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir(),
		"SSL_CERT_FILE=" + sim.CAFile(), "E2E_SECRET=" + secret,
	}
	return &process{t: t, config: path, env: append(base, env...)}
}

// command returns the command for args (the config is appended).
func (p *process) command(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, binary, append(args, "--config", p.config)...)
	cmd.Env = p.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// run runs a command to completion and returns its exit code and output.
func (p *process) run(args ...string) (int, string, string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd, stdout, stderr := p.command(ctx, args...)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	p.t.Fatalf("%v: %v\n%s", args, err, stderr.String())
	return -1, "", ""
}

// mustRun runs a command that must succeed.
func (p *process) mustRun(args ...string) string {
	p.t.Helper()
	code, stdout, stderr := p.run(args...)
	if code != 0 {
		p.t.Fatalf("%v exited %d\n%s", args, code, lastLines(stderr, 30))
	}
	return stdout
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// azuriteSink opens a fresh Azurite container and returns the connection
// string, the container and a sink on it.
func azuriteSink(t *testing.T) (string, string, archive.Sink) {
	t.Helper()
	conn := testenv.Azurite(t)
	container := testenv.Container(t)
	s, err := azblob.New(context.Background(), azblob.Options{ConnectionString: conn, Container: container})
	if err != nil {
		t.Fatal(err)
	}
	return conn, container, s
}

func localSink(t *testing.T, dir string) archive.Sink {
	t.Helper()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stored is one archived record.
type stored struct {
	raw  string
	blob string
}

// readStream reads every jsonl record of a tenant's stream and checks what
// any archive must hold (partstest.Read): records in their partition,
// sorted, counted in metadata; parts numbered from p000 without gaps.
func readStream(t *testing.T, sink archive.Sink, l layout.Layout, tenant string, st audit.Stream, g audit.Granularity) []stored {
	t.Helper()
	var out []stored
	for _, p := range partstest.Read(t, sink, l, tenant, st, g, "jsonl") {
		for _, rec := range p.Records {
			out = append(out, stored{raw: string(rec.Raw), blob: p.Name})
		}
	}
	return out
}

// exactly compares archived records with the expected raw records: each
// expected record once, nothing else.
func exactly(t *testing.T, what string, got []stored, want [][]byte) {
	t.Helper()
	seen := map[string]string{}
	var dups []string
	for _, s := range got {
		if prev, ok := seen[s.raw]; ok {
			dups = append(dups, fmt.Sprintf("%s in %s and %s", idOf(s.raw), prev, s.blob))
		}
		seen[s.raw] = s.blob
	}
	wantSet := map[string]bool{}
	var missing []string
	for _, w := range want {
		wantSet[string(w)] = true
		if _, ok := seen[string(w)]; !ok {
			missing = append(missing, idOf(string(w)))
		}
	}
	var extra []string
	for raw, blob := range seen {
		if !wantSet[raw] {
			extra = append(extra, idOf(raw)+" in "+blob)
		}
	}
	sort.Strings(extra)
	if len(dups)+len(missing)+len(extra) > 0 {
		t.Fatalf("%s: %d archived, %d expected; %d duplicated %v; %d missing %v; %d unexpected %v", what,
			len(got), len(want), len(dups), head(dups), len(missing), head(missing), len(extra), head(extra))
	}
	if len(want) == 0 {
		t.Fatalf("%s: nothing expected: the test proves nothing", what)
	}
}

func head(s []string) []string {
	if len(s) > 5 {
		return s[:5]
	}
	return s
}

func idOf(raw string) string {
	rec, err := audit.ParseRecord([]byte(raw), "createdDateTime")
	if err != nil || rec.ID == "" {
		rec, _ = audit.ParseRecord([]byte(raw), "activityDateTime")
	}
	return rec.ID
}

// loadState reads a job's state from the sink.
func loadState(t *testing.T, sink archive.Sink, l layout.Layout, tenant, stream string) state.State {
	t.Helper()
	st, _, found, err := state.DocStore{Sink: sink, Layout: l}.Load(context.Background(), tenant, stream)
	if err != nil || !found {
		t.Fatalf("state of %s/%s: found=%v err=%v", tenant, stream, found, err)
	}
	return st
}

// dataBlobs lists the data blob names below prefix.
func dataBlobs(t *testing.T, sink archive.Sink, prefix string) []string {
	t.Helper()
	var names []string
	err := sink.List(context.Background(), prefix, func(o archive.Object) error {
		if !strings.Contains(o.Name, "/_state/") && !strings.HasPrefix(o.Name, "_state/") {
			names = append(names, o.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

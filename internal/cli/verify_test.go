package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/cli"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
)

// archiveSource serves records like Graph: those in the window that are
// visible (five minutes after their event) at the clock's now, newest first.
type archiveSource struct {
	now  func() time.Time
	recs []audit.Record
}

func (s *archiveSource) Fetch(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
	var out []audit.Record
	for _, r := range s.recs {
		if w.Contains(r.Time) && !r.Time.Add(5*time.Minute).After(s.now()) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.After(out[j].Time) })
	return page(audit.Page{Records: out, Served: len(out)})
}

const archiveConfig = `log: {level: warn, format: console}
http: {listen: ""}
storage: {type: local, local: {path: %q}}
state: {type: storage}
defaults:
  streams: [interactive-signins]
  formats: [jsonl, csv]
tenants:
  - name: contoso
    tenant_id: 72f988bf-0000-0000-0000-000000000000
    auth:
      method: client-secret
      client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346
      client_secret_env: CONTOSO_SECRET
`

// archiveEnv is the environment the configuration needs (its secret is never
// used: verify and export do not call Graph).
var archiveEnv = []string{"CONTOSO_SECRET=unused-secret"}

// archiveFixture is an archive written by the job into a local folder, and
// a configuration file pointing at it.
type archiveFixture struct {
	dir, config string
	sink        *local.Sink
	recs        []audit.Record // what the source served, sorted by (time, id)
}

var fixtureT0 = time.Date(2026, 11, 20, 0, 20, 0, 0, time.UTC)

// buildFixture archives a record every 10 minutes (every fourth a failed
// sign-in) from 18:00 on the 19th, running the job hourly for 27 hours, so
// the oldest partitions are sealed.
func buildFixture(t *testing.T) *archiveFixture {
	t.Helper()
	f := &archiveFixture{dir: filepath.Join(t.TempDir(), "archive")}
	sink, err := local.New(f.dir)
	if err != nil {
		t.Fatal(err)
	}
	f.sink = sink
	end := fixtureT0.Add(25 * time.Hour)
	for i := 0; ; i++ {
		ts := time.Date(2026, 11, 19, 18, 0, 0, 0, time.UTC).Add(time.Duration(i) * 10 * time.Minute)
		if !ts.Before(end) {
			break
		}
		code := 0
		if i%4 == 0 {
			code = 50126
		}
		raw := fmt.Sprintf(`{"id":"s%04d","createdDateTime":%q,"userPrincipalName":"u%d@contoso.com","status":{"errorCode":%d}}`,
			i, ts.Format(time.RFC3339), i, code)
		f.recs = append(f.recs, audit.Record{ID: fmt.Sprintf("s%04d", i), Time: ts, Raw: []byte(raw)})
	}
	now := fixtureT0
	clock := func() time.Time { return now }
	j := job.New(job.Settings{
		Tenant: "contoso", TenantID: "72f988bf-0000-0000-0000-000000000000", Stream: audit.InteractiveSignIns,
		Formats: []string{"jsonl", "csv"}, Gzip: true, Partition: audit.Hour, Settle: 15 * time.Minute,
		Recheck: []time.Duration{2 * time.Hour, 24 * time.Hour}, Start: job.Start{Back: 6 * time.Hour},
	}, job.Deps{
		Source: &archiveSource{now: clock, recs: f.recs}, Sink: sink, State: state.DocStore{Sink: sink},
		Clock: clock, TempDir: t.TempDir(), Version: "test",
	})
	for i := range 27 {
		now = fixtureT0.Add(time.Duration(i) * time.Hour)
		if _, err := j.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	f.config = filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(f.config, fmt.Appendf(nil, archiveConfig, f.dir), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// partName names a jsonl.gz or csv.gz part of the fixture.
func (f *archiveFixture) partName(p audit.Partition, n int, format string) string {
	return layout.Layout{}.PartName(layout.Part{Tenant: "contoso", Stream: "interactive-signins", Partition: p, Number: n, Format: format, Gzip: true})
}

// entra runs the command line.
func entra(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.MainContext(t.Context(), args, &out, &errOut, archiveEnv)
	return code, out.String(), errOut.String()
}

func TestVerifyCommand(t *testing.T) {
	f := buildFixture(t)
	code, stdout, stderr := entra(t, "verify", "--config", f.config)
	if code != cli.ExitOK || !strings.HasPrefix(stdout, "verified 1 job(s): 33 partitions, ") ||
		!strings.HasSuffix(stdout, ": no faults\n") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("verify of a clean archive: exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}

	// Delete the last part of a sealed partition (it has two) and the p000
	// of an unsealed one.
	sealed, unsealed := audit.Hour.Of(fixtureT0), audit.Hour.Of(fixtureT0.Add(12*time.Hour))
	var gone []string
	for _, name := range []string{
		f.partName(sealed, 1, "jsonl"), f.partName(sealed, 1, "csv"),
		f.partName(unsealed, 0, "jsonl"), f.partName(unsealed, 0, "csv"),
	} {
		if err := f.sink.Delete(t.Context(), name); err != nil {
			t.Fatal(err)
		}
		gone = append(gone, name)
	}
	code, stdout, _ = entra(t, "verify", "--config", f.config)
	if code != cli.ExitFailure {
		t.Fatalf("verify of a damaged archive: exit %d, want %d\n%s", code, cli.ExitFailure, stdout)
	}
	for _, want := range []string{
		"FAULT " + gone[0] + ": missing: listed in the manifest interactive-signins_20261120T00Z_manifest.json\n",
		"FAULT " + gone[1] + ": missing: listed in the manifest interactive-signins_20261120T00Z_manifest.json\n",
		"FAULT " + gone[2] + ": missing: partition 20261120T12Z has parts up to p001, numbered without gaps, but no p000\n",
		": 3 fault(s)\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verify output lacks %q:\n%s", want, stdout)
		}
	}

	// A range that leaves the damage out is clean.
	code, stdout, _ = entra(t, "verify", "--config", f.config, "--tenant", "contoso",
		"--stream", "interactive-signins", "--from", "2026-11-20T01:00:00Z", "--to", "2026-11-20T12")
	if code != cli.ExitOK || !strings.Contains(stdout, "verified 1 job(s): 11 partitions,") {
		t.Fatalf("verify of an undamaged range: exit %d\n%s", code, stdout)
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	f := buildFixture(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "yesterday"}, `verify: --from: "yesterday" is not a time`},
		{[]string{"--from", "2026-11-20", "--to", "2026-11-19"}, "is not before --to"},
		{[]string{"--tenant", "fabrikam"}, `verify: no tenant "fabrikam" in the configuration`},
		{[]string{"--stream", "sign-ins"}, `verify: unknown stream "sign-ins"`},
		{[]string{"--stream", "provisioning"}, "verify: no configured job matches"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		code, stdout, stderr := entra(t, append([]string{"verify", "--config", f.config}, tc.args...)...)
		if code != cli.ExitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("verify %v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
	if code, _, stderr := entra(t, "verify"); code != cli.ExitUsage || !strings.Contains(stderr, "no configuration") {
		t.Errorf("verify without a config: exit %d, %q", code, stderr)
	}
}

// TestJobCommandsUsage: once and backfill asked for a job or a range that
// does not exist exit 2, like the other commands, before calling Graph.
func TestJobCommandsUsage(t *testing.T) {
	f := buildFixture(t)
	future := time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02")
	later := time.Now().UTC().Add(72 * time.Hour).Format("2006-01-02")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"once", "--tenant", "fabrikam"}, `no job matches tenant "fabrikam"`},
		{[]string{"once", "--stream", "sign-ins"}, `no job matches tenant "" and stream "sign-ins"`},
		{[]string{"backfill", "--tenant", "fabrikam", "--stream", "interactive-signins", "--from", "2026-11-20", "--to", "2026-11-21"},
			`no job matches tenant "fabrikam"`},
		{[]string{"backfill", "--tenant", "contoso", "--stream", "provisioning", "--from", "2026-11-20", "--to", "2026-11-21"},
			`no job matches tenant "contoso" and stream "provisioning"`},
		{[]string{"backfill", "--tenant", "contoso", "--stream", "interactive-signins", "--from", future, "--to", later},
			"backfill range holds no settled partition"},
	} {
		args := append(slices.Clone(tc.args[:1]), append([]string{"--config", f.config}, tc.args[1:]...)...)
		code, _, stderr := entra(t, args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", args, code, stderr, tc.want)
		}
	}
}

// TestReadingCommandsNeedAnArchive: status, verify and export on a folder
// that does not exist (a typo) fail and say so, and do not create it; verify
// must not report "no faults" for an archive it never saw.
func TestReadingCommandsNeedAnArchive(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-such-archive")
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, archiveConfig, missing), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"status"}, {"verify"},
		{"export", "--tenant", "contoso", "--stream", "interactive-signins", "--from", "2026-11-20", "--to", "2026-11-21", "--format", "jsonl"},
	} {
		code, stdout, stderr := entra(t, append([]string{args[0], "--config", config}, args[1:]...)...)
		if code != cli.ExitFailure || !strings.Contains(stderr, "archive folder "+missing+" does not exist") {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s\nwant exit 1 saying the folder does not exist", args, code, stdout, stderr)
		}
		if _, err := os.Stat(missing); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%v created the archive folder (%v)", args, err)
		}
	}
}

// TestVerifyCommandKnownLossAndQuarantine: spans the job never read and
// quarantined records are printed as information and do not fail verify; a
// quarantined record deleted does.
func TestVerifyCommandKnownLossAndQuarantine(t *testing.T) {
	f := buildFixture(t)
	ctx := t.Context()
	store := state.DocStore{Sink: f.sink}
	st, version, _, err := store.Load(ctx, "contoso", "interactive-signins")
	if err != nil {
		t.Fatal(err)
	}
	// Two unsealed hours Graph no longer served: no parts, a lost span.
	lost := state.LostSpan{From: time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 20, 17, 0, 0, 0, time.UTC),
		Reason: "before Graph's minimum allowed time", Noted: fixtureT0}
	for p := audit.Hour.Of(lost.From); p.Start.Before(lost.To); p = p.Next() {
		for n := 0; ; n++ {
			if _, err := f.sink.Stat(ctx, f.partName(p, n, "jsonl")); err != nil {
				break
			}
			for _, format := range []string{"jsonl", "csv"} {
				if err := f.sink.Delete(ctx, f.partName(p, n, format)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	st.NoteLost(lost)
	st.NoteLost(state.LostSpan{From: lost.To, To: lost.To.Add(time.Hour), Recheck: "24h0m0s", Reason: "recheck came too late", Noted: fixtureT0})
	var quarantined []string
	for _, raw := range []string{`{"id":"q1"}`, `{"createdDateTime":"2026-11-20T01:00:00Z"}`} {
		sum := sha256.Sum256([]byte(raw))
		name := layout.Layout{}.QuarantineName("contoso", "interactive-signins", hex.EncodeToString(sum[:]))
		meta := map[string]string{archive.MetaSHA256: hex.EncodeToString(sum[:]), archive.MetaReason: "no readable id or time",
			archive.MetaStream: "interactive-signins", archive.MetaTenantID: "72f988bf-0000-0000-0000-000000000000", archive.MetaArchiverVersion: "test"}
		if err := f.sink.Put(ctx, name, strings.NewReader(raw), int64(len(raw)), meta); err != nil {
			t.Fatal(err)
		}
		quarantined = append(quarantined, name)
	}
	st.Quarantined = 2
	if _, err := store.Save(ctx, "contoso", "interactive-signins", st, version); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := entra(t, "verify", "--config", f.config)
	want := "KNOWN LOSS contoso/interactive-signins [2026-11-20T15:00:00Z, 2026-11-20T17:00:00Z) never read: " +
		"before Graph's minimum allowed time (known loss, not a fault)\n" +
		"KNOWN LOSS contoso/interactive-signins [2026-11-20T17:00:00Z, 2026-11-20T18:00:00Z) missed by the 24h0m0s recheck (archived before): " +
		"recheck came too late (known loss, not a fault)\n" +
		"QUARANTINED contoso/interactive-signins: 2 record(s) Graph served without a readable id or time or not as valid JSON, in " +
		"_quarantine/contoso/interactive-signins/ (not a fault)\n" +
		"verified 1 job(s): 31 partitions, "
	if code != cli.ExitOK || !strings.HasPrefix(stdout, want) || !strings.HasSuffix(stdout, ": no faults\n") {
		t.Fatalf("verify with known losses: exit %d\nstdout: %s\nwant it to start with\n%s\nstderr: %s", code, stdout, want, stderr)
	}

	if err := f.sink.Delete(ctx, quarantined[1]); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ = entra(t, "verify", "--config", f.config)
	if code != cli.ExitFailure || !strings.HasPrefix(stdout, "FAULT _quarantine/contoso/interactive-signins/: missing: the state counted 2 quarantined records, the quarantine holds 1") ||
		!strings.Contains(stdout, "QUARANTINED contoso/interactive-signins: 1 record(s)") || !strings.HasSuffix(stdout, ": 1 fault(s)\n") {
		t.Fatalf("verify with a quarantined record deleted: exit %d\n%s", code, stdout)
	}
}

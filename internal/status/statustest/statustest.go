// Package statustest builds a small archive with real jobs, for the tests of
// the status report, the status command and the status page. The archive is
// written by package job from a fake source, in a local folder, with a
// configuration file that describes it:
//
//   - contoso (hour partitions, jsonl + csv, start 50h back) archives
//     interactive-signins and directory-audits in two runs, two hours apart,
//     so the partition that held the first watermark has a p001, and so has
//     the hour of a sign-in published late. Afterwards that hour's p000 is
//     deleted (a gap) and the jsonl blob of another p000 is deleted (its csv
//     sibling still counts).
//   - fabrikam (day partitions, jsonl, start at the retention edge) is
//     licensed: its provisioning job starts at Graph's minimum allowed time
//     (30 days back) and its run fails after the first day with an error
//     full of HTML, leaving the watermark at risk; its directory-audits job
//     never ran.
//
// Then the states get what production Graph leaves in them, written
// directly: contoso/directory-audits never read its first six hours (Graph no
// longer served them: their p000s are removed), contoso/interactive-signins
// missed the 24h recheck of six hours and quarantined two records (their
// blobs are stored), and every job that ran has an observed volume, contoso's
// large enough to need 85 % of its Graph budget.
package statustest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/capacity"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/fakeclock"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/job"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/state"
	"github.com/entra-archiver/entra-archiver/internal/status"
)

// SecretEnv names the variable that holds the tenants' client secret.
const SecretEnv = "ENTRA_ARCHIVER_STATUS_TEST_SECRET"

// FailureText is the error the failing source returns: markup that a page
// must escape.
const FailureText = `Graph said <script>alert("pwned")</script> & <b>bold</b>`

const configYAML = `log: {level: error}
http: {listen: ""}
storage:
  type: local
  local: {path: %q}
state: {type: storage}
defaults:
  streams: [interactive-signins, directory-audits]
  formats: [jsonl, csv]
  recheck: [2h, 24h]
tenants:
  - name: contoso
    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47
    auth: {method: client-secret, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: %s}
    partition: hour
    start: 50h
  - name: fabrikam
    tenant_id: 0f4c2d6e-8a1b-4c3d-9e5f-6a7b8c9d0e1f
    auth: {method: client-secret, client_id: 5e3ce6c0-2b1f-4285-8d4b-75ee78787346, client_secret_env: %s}
    streams: [provisioning, directory-audits]
    formats: [jsonl]
    partition: day
    start: retention
`

// Fixture is the archive and what went into it.
type Fixture struct {
	Dir        string // the archive folder
	ConfigPath string
	Config     *config.Config
	// Env is the environment the configuration needs (its secret).
	Env    []string
	Secret string
	// Now is when the last runs happened.
	Now    time.Time
	Sink   archive.Sink
	Layout layout.Layout
	State  state.Store
	// Served lists the event times each source served, by "tenant/stream".
	Served map[string][]time.Time
	// Gap is the contoso/interactive-signins partition whose p000 is gone;
	// its p001 holds the one record published Late.
	Gap  audit.Partition
	Late time.Time
	// CSVOnly is the contoso/interactive-signins partition whose p000 is
	// left with its csv blob only.
	CSVOnly audit.Partition
	// NeverRead is the contoso/directory-audits span Graph no longer served
	// (its partitions have no parts); RecheckMissed the contoso/
	// interactive-signins span the 24h recheck missed.
	NeverRead, RecheckMissed state.LostSpan
	// Quarantined are the blobs of contoso/interactive-signins' quarantined
	// records.
	Quarantined []string
	// RecordsPerDay is each job's observed volume, by "tenant/stream".
	RecordsPerDay map[string]float64
}

// Reasons of the fixture's lost spans.
const (
	NeverReadReason     = "before Graph's minimum allowed time when the job got there (an outage of a month)"
	RecheckMissedReason = "the 24h recheck came after Graph's minimum allowed time"
)

// Build writes the archive as of now (see the package comment).
func Build(t testing.TB, now time.Time) *Fixture {
	t.Helper()
	now = now.UTC().Truncate(time.Second)
	dir := t.TempDir()
	f := &Fixture{
		Dir: filepath.Join(dir, "archive"), ConfigPath: filepath.Join(dir, "config.yaml"),
		Secret: "status-test-secret-Zx9~q", Now: now, Served: map[string][]time.Time{},
	}
	f.Env = []string{SecretEnv + "=" + f.Secret}
	if err := os.WriteFile(f.ConfigPath, fmt.Appendf(nil, configYAML, f.Dir, SecretEnv, SecretEnv), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(f.ConfigPath, f.Env)
	if err != nil {
		t.Fatal(err)
	}
	f.Config = cfg
	sink, err := local.New(f.Dir)
	if err != nil {
		t.Fatal(err)
	}
	f.Sink, f.State = sink, state.DocStore{Sink: sink}

	contoso, _ := cfg.Tenant("contoso")
	fabrikam, _ := cfg.Tenant("fabrikam")
	// Records older than 8 days: the job detects Graph's 30-day retention.
	signins := f.source("contoso", audit.InteractiveSignIns, now.Add(-31*24*time.Hour), now, 20*time.Minute)
	audits := f.source("contoso", audit.DirectoryAudits, now.Add(-31*24*time.Hour), now, 45*time.Minute)
	// Provisioning is served, so the tenant is licensed: the job starts at
	// Graph's minimum allowed time (the day after it: provisioning's gt
	// bound lies a second before its window) and fails after a day.
	provisioning := f.source("fabrikam", audit.Provisioning, now.Add(-31*24*time.Hour), now, 3*time.Hour)
	edge := audit.Day.Ceil(audit.Provisioning.EarliestFrom(audit.MinimumTime(now)))
	provisioning.fail = func(w audit.Window) error {
		if w.To.After(edge.Add(24 * time.Hour)) {
			return errors.New(FailureText)
		}
		return nil
	}

	clock := fakeclock.New(now.Add(-2 * time.Hour))
	f.run(t, contoso, audit.InteractiveSignIns, signins, clock, false)
	f.run(t, contoso, audit.DirectoryAudits, audits, clock, false)
	// A sign-in published late: the recheck at 24h finds it and writes it
	// as the p001 of its hour.
	f.Late = now.Add(-24*time.Hour - 50*time.Minute)
	f.Gap = audit.Hour.Of(f.Late)
	signins.add(f.record("contoso", audit.InteractiveSignIns, f.Late, "late"))
	clock.Set(now)
	f.run(t, contoso, audit.InteractiveSignIns, signins, clock, false)
	f.run(t, contoso, audit.DirectoryAudits, audits, clock, false)
	f.run(t, fabrikam, audit.Provisioning, provisioning, clock, true)

	late := layout.Part{Tenant: "contoso", Stream: audit.InteractiveSignIns.Name, Partition: f.Gap, Number: 1, Format: format.JSONL, Gzip: true}
	if _, err := f.Sink.Stat(context.Background(), f.Layout.PartName(late)); err != nil {
		t.Fatalf("the late sign-in was not archived as p001: %v", err)
	}
	f.CSVOnly = audit.Hour.Of(now.Add(-40 * time.Hour))
	f.deletePart(t, "contoso", audit.InteractiveSignIns, f.Gap, format.JSONL, format.CSV)
	f.deletePart(t, "contoso", audit.InteractiveSignIns, f.CSVOnly, format.JSONL)
	f.production(t)
	return f
}

// production leaves in the states (and the archive) what production Graph
// does: a never-read span, a missed recheck, quarantined records and the
// observed volumes (see the package comment).
func (f *Fixture) production(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	f.RecordsPerDay = map[string]float64{
		"contoso/interactive-signins": 12_000_000, "contoso/directory-audits": 100_000, "fabrikam/provisioning": 8,
	}
	start := audit.Hour.Floor(f.Now.Add(-52 * time.Hour))
	f.NeverRead = state.LostSpan{From: start, To: start.Add(6 * time.Hour), Reason: NeverReadReason, Noted: f.Now}
	missed := audit.Day.Floor(f.Now.Add(-24 * time.Hour))
	f.RecheckMissed = state.LostSpan{From: missed, To: missed.Add(6 * time.Hour), Recheck: (24 * time.Hour).String(),
		Reason: RecheckMissedReason, Noted: f.Now}
	for p := audit.Hour.Of(f.NeverRead.From); p.Start.Before(f.NeverRead.To); p = p.Next() {
		f.deletePart(t, "contoso", audit.DirectoryAudits, p, format.JSONL, format.CSV)
	}
	for _, raw := range []string{`{"createdDateTime":"2026-11-19T03:00:00Z"}`, `{"id":"q2","createdDateTime":"yesterday"}`} {
		sum := sha256.Sum256([]byte(raw))
		hexSum := hex.EncodeToString(sum[:])
		name := f.Layout.QuarantineName("contoso", audit.InteractiveSignIns.Name, hexSum)
		meta := map[string]string{archive.MetaSHA256: hexSum, archive.MetaReason: "no readable id or time",
			archive.MetaStream: audit.InteractiveSignIns.Name, archive.MetaTenantID: "72f988bf-86f1-41af-91ab-2d7cd011db47",
			archive.MetaArchiverVersion: "statustest"}
		if err := f.Sink.Put(ctx, name, strings.NewReader(raw), int64(len(raw)), meta); err != nil {
			t.Fatal(err)
		}
		f.Quarantined = append(f.Quarantined, name)
	}
	for key, perDay := range f.RecordsPerDay {
		tenant, stream, _ := strings.Cut(key, "/")
		f.editState(t, tenant, stream, func(st *state.State) {
			st.RecordsPerDay = perDay
			switch key {
			case "contoso/directory-audits":
				st.NoteLost(f.NeverRead)
			case "contoso/interactive-signins":
				st.NoteLost(f.RecheckMissed)
				st.Quarantined = int64(len(f.Quarantined))
			}
		})
	}
}

// editState changes a job's state document.
func (f *Fixture) editState(t testing.TB, tenant, stream string, edit func(*state.State)) {
	t.Helper()
	ctx := context.Background()
	st, version, found, err := f.State.Load(ctx, tenant, stream)
	if err != nil || !found {
		t.Fatalf("state of %s/%s: found %v, %v", tenant, stream, found, err)
	}
	edit(&st)
	if _, err := f.State.Save(ctx, tenant, stream, st, version); err != nil {
		t.Fatal(err)
	}
}

// run runs one job once; wantErr says the run is meant to fail.
func (f *Fixture) run(t testing.TB, tenant config.Tenant, st audit.Stream, src *source, c *fakeclock.Clock, wantErr bool) {
	t.Helper()
	s := tenant.Settings
	j := job.New(job.Settings{
		Tenant: tenant.Name, TenantID: tenant.TenantID, Stream: st, Formats: s.Formats, Gzip: s.Compression == "gzip",
		Partition: s.Partition, Settle: s.Settle, Recheck: s.Recheck,
		Start:            job.Start{Retention: s.Start.Retention, At: s.Start.At, Back: s.Start.Back},
		RetentionWarning: s.RetentionWarning,
	}, job.Deps{Source: src, Sink: f.Sink, Layout: f.Layout, State: f.State, Clock: c.Now, TempDir: t.TempDir(), Version: "statustest"})
	_, err := j.Run(context.Background())
	if (err != nil) != wantErr {
		t.Fatalf("run %s/%s: error %v, want error: %v", tenant.Name, st.Name, err, wantErr)
	}
}

// deletePart removes formats of part 0 of partition p.
func (f *Fixture) deletePart(t testing.TB, tenant string, st audit.Stream, p audit.Partition, formats ...string) {
	t.Helper()
	for _, format := range formats {
		name := f.Layout.PartName(layout.Part{Tenant: tenant, Stream: st.Name, Partition: p, Format: format, Gzip: true})
		if _, err := f.Sink.Stat(context.Background(), name); err != nil {
			t.Fatalf("part to delete: %v", err)
		}
		if err := f.Sink.Delete(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
}

// source serves records every step in [from, to).
func (f *Fixture) source(tenant string, st audit.Stream, from, to time.Time, step time.Duration) *source {
	s := &source{}
	for at := from; at.Before(to); at = at.Add(step) {
		s.add(f.record(tenant, st, at, fmt.Sprint(at.Unix())))
	}
	return s
}

// record makes a record and notes it as served.
func (f *Fixture) record(tenant string, st audit.Stream, at time.Time, id string) audit.Record {
	key := tenant + "/" + st.Name
	f.Served[key] = append(f.Served[key], at)
	id = st.Name + "-" + id
	raw := fmt.Sprintf(`{"id":%q,%q:%q,"userPrincipalName":"user@%s.example"}`, id, st.TimeField, at.Format(time.RFC3339), tenant)
	return audit.Record{ID: id, Time: at, Raw: []byte(raw)}
}

// source is a fake audit.Source over a set of records.
type source struct {
	records []audit.Record
	fail    func(audit.Window) error
}

func (s *source) add(r audit.Record) { s.records = append(s.records, r) }

// Fetch serves the records in w newest first, like Graph's sign-ins.
func (s *source) Fetch(ctx context.Context, _ audit.Stream, w audit.Window, _ string, page func(audit.Page) error) error {
	if s.fail != nil {
		if err := s.fail(w); err != nil {
			return err
		}
	}
	var out []audit.Record
	for _, r := range s.records {
		if w.Contains(r.Time) {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b audit.Record) int { return b.Time.Compare(a.Time) })
	for len(out) > 0 {
		n := min(len(out), 50)
		if err := page(audit.Page{Records: out[:n], Served: n}); err != nil {
			return err
		}
		out = out[n:]
	}
	return ctx.Err()
}

// Jobs lists the configured jobs as status sees them, in config order.
func (f *Fixture) Jobs() []status.Job {
	var out []status.Job
	for _, t := range f.Config.Tenants {
		for _, st := range t.Settings.Streams {
			out = append(out, status.Job{Tenant: t.Name, Stream: st.Name, Partition: t.Settings.Partition,
				RetentionWarning: t.Settings.RetentionWarning, Schedule: t.Settings.Schedule,
				Rechecks:    len(t.Settings.Recheck),
				RateLimit:   capacity.Rate{Requests: t.Settings.RateLimit.Requests, Per: t.Settings.RateLimit.Per},
				BudgetGroup: capacity.GroupKey(t.GraphEndpoint, t.TenantID, t.Auth.ClientID)})
		}
	}
	return out
}

// Options are Collect's options for the fixture at its Now.
func (f *Fixture) Options() status.Options {
	return status.Options{Sink: f.Sink, Layout: f.Layout, State: f.State, Jobs: f.Jobs(),
		Now: func() time.Time { return f.Now }}
}

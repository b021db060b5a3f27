package graph_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graph"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

const (
	simTenant = "0b0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
	simClient = "a1b2c3d4-0000-4000-8000-00000000c11e"
	simSecret = "s1m~Secret.Do-Not-Print_42"
)

// simNow is the simulator's fixed clock: every window below is hours old,
// so what is visible does not change during a test.
var simNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// simWindow is one hour partition in the middle of the generated data.
var simWindow = audit.Window{From: simNow.Add(-3 * time.Hour), To: simNow.Add(-2 * time.Hour)}

// simTenantConfig has every stream, a few big records and no faults.
func simTenantConfig() graphsim.TenantConfig {
	vol := map[string]float64{}
	for _, st := range audit.Streams {
		vol[st.Name] = 1200
	}
	return graphsim.TenantConfig{
		ID: simTenant, ClientID: simClient, ClientSecret: simSecret, Seed: 7,
		Volume: vol, Epoch: simNow.Add(-6 * time.Hour), BigEvery: 700,
	}
}

func startSim(t *testing.T, tc graphsim.TenantConfig, edit func(*graphsim.Options)) *graphsim.Server {
	t.Helper()
	o := graphsim.Options{Tenants: []graphsim.TenantConfig{tc}, Now: func() time.Time { return simNow }, TrackServed: true}
	if edit != nil {
		edit(&o)
	}
	s, err := graphsim.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// simSource is a Source with the real azidentity client-secret credential
// against the simulator's token endpoint.
func simSource(t *testing.T, s *graphsim.Server, secret string, edit func(*graph.Options)) *graph.Source {
	t.Helper()
	cred, err := azidentity.NewClientSecretCredential(simTenant, simClient, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: s.AuthorityHost()},
			Transport: s.HTTPClient(),
		},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := graph.Options{
		TenantID: simTenant, ClientID: simClient, GraphEndpoint: s.GraphURL(), Credential: cred,
		Tenant: graph.NewPacer(0, 0), App: graph.NewPacer(0, 0), Transport: s.HTTPClient(),
		RequestTimeout: 5 * time.Second, Rand: func() float64 { return 0 },
	}
	if edit != nil {
		edit(&o)
	}
	src, err := graph.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// fetchAll returns the raw records of every page and the number of pages
// that had records.
func fetchAll(src *graph.Source, st audit.Stream, w audit.Window, filter string) ([][]byte, int, error) {
	var got [][]byte
	pages := 0
	err := src.Fetch(context.Background(), st, w, filter, func(pg audit.Page) error {
		pages++
		for _, r := range pg.Records {
			if !w.Contains(r.Time) {
				return errOutside(r)
			}
			got = append(got, bytes.Clone(r.Raw))
		}
		return nil
	})
	return got, pages, err
}

type outsideError struct{ rec audit.Record }

func (e outsideError) Error() string { return "record outside the window: " + string(e.rec.Raw) }

func errOutside(r audit.Record) error { return outsideError{r} }

// sameRecords compares two multisets of records byte for byte.
func sameRecords(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.SortFunc(g, bytes.Compare)
	slices.SortFunc(w, bytes.Compare)
	if len(g) != len(w) {
		t.Errorf("%s: %d records, want %d", what, len(g), len(w))
	}
	for i := range min(len(g), len(w)) {
		if !bytes.Equal(g[i], w[i]) {
			t.Errorf("%s: first difference at sorted record %d:\n got %.300s\nwant %.300s", what, i, g[i], w[i])
			return
		}
	}
}

func TestSimEveryStreamReturnsExactlyWhatIsVisible(t *testing.T) {
	for _, pretty := range []bool{false, true} {
		s := startSim(t, simTenantConfig(), func(o *graphsim.Options) { o.Pretty = pretty })
		src := simSource(t, s, simSecret, func(o *graph.Options) { o.PageSize = 150 })
		for _, st := range audit.Streams {
			got, pages, err := fetchAll(src, st, simWindow, "")
			if err != nil {
				t.Fatalf("%s (pretty %v): %v", st.Name, pretty, err)
			}
			want := s.Tenant(simTenant).Visible(st.Name, simWindow, simNow)
			if len(want) < 1000 {
				t.Fatalf("%s: only %d records visible; the test needs many pages", st.Name, len(want))
			}
			sameRecords(t, st.Name, got, want)
			if pages < len(want)/150 {
				t.Errorf("%s: %d pages for %d records at 150 per page", st.Name, pages, len(want))
			}
			if big := slices.IndexFunc(got, func(r []byte) bool { return len(r) > 100<<10 }); big < 0 {
				t.Errorf("%s: no record over 100 KB among %d; BigEvery not exercised", st.Name, len(got))
			}
		}
		// MSAL's discovery request plus one token: the token is cached.
		if n := s.Tenant(simTenant).Stats().TokenRequests; n > 2 {
			t.Errorf("pretty %v: %d token-endpoint requests, want discovery and one token", pretty, n)
		}
	}
}

// recordTimes parses the records of a window into (time, raw) pairs sorted
// by time.
func recordTimes(t *testing.T, st audit.Stream, raws [][]byte) []audit.Record {
	t.Helper()
	recs := make([]audit.Record, len(raws))
	for i, raw := range raws {
		r, err := audit.ParseRecord(raw, st.TimeField)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = r
	}
	slices.SortFunc(recs, func(a, b audit.Record) int { return audit.Compare(&a, &b) })
	return recs
}

// TestSimMinimumAllowedTime: graphsim's 400 for a lower bound before
// Graph's minimum allowed time (midnight UTC 30 days before its Date
// header) is recognised for every stream: directoryAudits and
// provisioning name the instant, sign-ins say only "Invalid filter
// clause" and the edge is computed from Graph's clock. A window from
// audit.MinimumTime onwards (the job's clamp) is served.
func TestSimMinimumAllowedTime(t *testing.T) {
	s := startSim(t, simTenantConfig(), nil)
	src := simSource(t, s, simSecret, nil)
	edge := audit.Day.Floor(simNow).Add(-audit.MinimumTimeAge)
	old := audit.Window{From: simNow.Add(-40 * 24 * time.Hour).Truncate(time.Hour)}
	old.To = old.From.Add(time.Hour)
	for _, st := range audit.Streams {
		_, _, err := fetchAll(src, st, old, "")
		var me *audit.MinimumTimeError
		if !errors.As(err, &me) {
			t.Fatalf("%s: window %s: err = %v, want *audit.MinimumTimeError", st.Name, old, err)
		}
		named := !st.SignIns
		want := audit.MinimumTime(simNow)
		if named {
			want = edge
		}
		if me.Named != named || !me.Minimum.Equal(want) {
			t.Errorf("%s: minimum %s (named %v), want %s (named %v): %v", st.Name, me.Minimum, me.Named, want, named, err)
		}
		clamped := audit.Window{From: st.EarliestFrom(audit.MinimumTime(simNow))}
		clamped.To = clamped.From.Add(time.Hour)
		if _, _, err := fetchAll(src, st, clamped, ""); err != nil {
			t.Errorf("%s: clamped window %s: %v", st.Name, clamped, err)
		}
	}
}

func TestSimWindowIsHalfOpen(t *testing.T) {
	s := startSim(t, simTenantConfig(), nil)
	src := simSource(t, s, simSecret, nil)
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.ManagedIdentitySignIns, audit.DirectoryAudits, audit.Provisioning} {
		all := recordTimes(t, st, s.Tenant(simTenant).Visible(st.Name, simWindow, simNow))
		// Bounds exactly at record times, preferably with a fraction of a
		// second, so both ends are tested at full precision.
		from, to := pickTime(all[len(all)/4:]), pickTime(all[len(all)*3/4:])
		w := audit.Window{From: from, To: to}
		var want [][]byte
		atFrom, atTo := false, false
		for _, r := range all {
			if w.Contains(r.Time) {
				want = append(want, r.Raw)
			}
			atFrom = atFrom || r.Time.Equal(from)
			atTo = atTo || r.Time.Equal(to)
		}
		if !atFrom || !atTo {
			t.Fatalf("%s: no record exactly at the window's bounds", st.Name)
		}
		got, _, err := fetchAll(src, st, w, "")
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		sameRecords(t, st.Name+" "+w.String(), got, want)
	}
}

// pickTime returns the first record time in recs with a fractional second,
// or the first time.
func pickTime(recs []audit.Record) time.Time {
	for _, r := range recs {
		if r.Time.Nanosecond() != 0 {
			return r.Time
		}
	}
	return recs[0].Time
}

package app_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/archive/local"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/format"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

const (
	testTenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	testClientID = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"
	testSecret   = "formats-Secret~0123456789"
)

// TestAllStreamsFormatsAndCompressionsReadBack archives all six streams in
// jsonl, json and csv, gzipped and plain, and reads every blob back: jsonl
// and json give Graph's bytes, csv gives each record's row.
func TestAllStreamsFormatsAndCompressionsReadBack(t *testing.T) {
	now := time.Now().UTC()
	vol := map[string]float64{}
	for _, st := range audit.Streams {
		vol[st.Name] = 400
	}
	sim, err := graphsim.Start(graphsim.Options{Dir: t.TempDir(), Pretty: true, Tenants: []graphsim.TenantConfig{{
		ID: testTenantID, ClientID: testClientID, ClientSecret: testSecret, Seed: 5, Volume: vol,
		Epoch: now.Add(-8 * time.Hour), Until: now.Add(-30 * time.Minute), BigEvery: 300,
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	for _, compression := range []string{"gzip", "none"} {
		t.Run(compression, func(t *testing.T) {
			dir := t.TempDir()
			cfg := loadConfig(t, fmt.Sprintf(`
http: {listen: ""}
storage: {type: local, local: {path: %q}}
defaults:
  streams: [all]
  formats: [jsonl, json, csv]
  compression: %s
  start: 6h
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
tenants:
  - name: contoso
    tenant_id: %s
    auth: {client_id: %s, client_secret_env: SIM_SECRET}
    graph_endpoint: %s
    authority_host: %s
    disable_instance_discovery: true
`, dir, compression, testTenantID, testClientID, sim.GraphURL(), sim.AuthorityHost()), "SIM_SECRET="+testSecret)
			a, err := app.New(context.Background(), app.Options{Config: cfg, GraphTransport: sim.HTTPClient()})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if err := a.Once(context.Background(), "", ""); err != nil {
				t.Fatal(err)
			}
			sink, err := local.New(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range audit.Streams {
				state := readState(t, sink, st.Name)
				want := sim.Tenant(testTenantID).Visible(st.Name, audit.Window{From: state.Start, To: state.Watermark}, time.Now())
				if len(want) < 1000 {
					t.Fatalf("%s: only %d records served", st.Name, len(want))
				}
				for _, f := range []string{"jsonl", "json", "csv"} {
					got := readFormat(t, sink, st, f, compression == "gzip")
					var wantKeys [][]byte
					for _, raw := range want {
						rec, err := audit.ParseRecord(raw, st.TimeField)
						if err != nil {
							t.Fatal(err)
						}
						key, err := format.ContentKey(f, st, &rec)
						if err != nil {
							t.Fatal(err)
						}
						wantKeys = append(wantKeys, key)
					}
					slices.SortFunc(got, bytes.Compare)
					slices.SortFunc(wantKeys, bytes.Compare)
					if len(got) != len(wantKeys) {
						t.Fatalf("%s %s: %d records read back, %d served", st.Name, f, len(got), len(wantKeys))
					}
					for i := range got {
						if !bytes.Equal(got[i], wantKeys[i]) {
							t.Fatalf("%s %s: record %d differs:\n got %.300s\nwant %.300s", st.Name, f, i, got[i], wantKeys[i])
						}
					}
				}
			}
		})
	}
}

func loadConfig(t *testing.T, yaml string, env ...string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := config.Load(path, env)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// readFormat reads back the records of every blob of one format.
func readFormat(t *testing.T, sink archive.Sink, st audit.Stream, f string, gz bool) [][]byte {
	t.Helper()
	ctx := context.Background()
	var out [][]byte
	err := sink.List(ctx, layout.Layout{}.StreamDir("contoso", st.Name), func(o archive.Object) error {
		e, ok := layout.ParseName(st.Name, layout.BaseName(o.Name))
		if !ok || e.Manifest || e.Part.Format != f {
			return nil
		}
		if e.Part.Gzip != gz {
			return fmt.Errorf("%s: compression does not match the config", o.Name)
		}
		rc, err := sink.Open(ctx, o.Name)
		if err != nil {
			return err
		}
		defer rc.Close()
		var r io.Reader = rc
		if gz {
			zr, err := format.NewGzipReader(rc)
			if err != nil {
				return err
			}
			defer zr.Close()
			r = zr
		}
		rd, err := format.NewReader(f, st, r)
		if err != nil {
			return err
		}
		for {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", o.Name, err)
			}
			out = append(out, rec.Raw)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

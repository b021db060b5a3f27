package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	azcontainer "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"

	"github.com/entra-archiver/entra-archiver/internal/archive/azblob"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
	"github.com/entra-archiver/entra-archiver/internal/layout"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// TestWormArchiveThroughCreateOnlySAS is issue 14's proof that the archive
// container never needs a write over a blob or a delete: the real binary
// reaches it only through a SAS granting read, create and list (Azurite
// answers 403 to a second upload of a name and to a delete, as an immutable
// container refuses them), with the state and the tenant leases in a second
// container (state.container) reached through its own SAS (read, write,
// list), as docs/deploy.md sets it up. The full cycle runs on it: a first run killed
// three times and then completed (old hours sealed at once), the daemon
// killed three times and restarted, the daemon running its rechecks while
// Graph publishes records seconds late (a few later than the first recheck),
// re-published and without id or time, and a final run. A proxy in front of
// the archive container loses the answer to some uploads after Azurite has
// stored them, so the retries meet their own blobs.
//
// The archive must end exact (every record Graph serves once, byte for
// byte), sealed partitions must verify, and the archive container must have
// seen nothing but creates, reads and lists.
func TestWormArchiveThroughCreateOnlySAS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary for about two minutes")
	}
	t.Parallel()
	now := time.Now().UTC()
	until := now.Add(70 * time.Second) // Graph's records stop here
	streams := []audit.Stream{audit.InteractiveSignIns, audit.NonInteractiveSignIns, audit.DirectoryAudits}
	sim := startSim(t, graphsim.Options{
		TrackServed: true,
		Tenants: []graphsim.TenantConfig{{
			ID: tenantID, ClientID: clientID, ClientSecret: secret, Seed: 61,
			Volume: map[string]float64{"interactive-signins": 1800, "noninteractive-signins": 2400, "directory-audits": 900},
			// Two and a half hours back: the first run seals the hours
			// before this one at once.
			Epoch: now.Add(-150 * time.Minute),
			Until: until,
			Late:  graphsim.Late{Fraction: 0.3, Min: time.Second, Max: 4 * time.Second},
			// Past the first recheck age (5s), caught by the second (15s).
			LateTail:       graphsim.Late{Fraction: 0.02, Min: 7 * time.Second, Max: 12 * time.Second},
			Republish:      0.1,
			RepublishDelay: graphsim.Delay{Min: time.Second, Max: 4 * time.Second},
			NoTimeEvery:    500, NoIDEvery: 900, NotJSONEvery: 700,
		}},
	})

	keyConn := testenv.Azurite(t)
	archiveName, stateName := testenv.Container(t), testenv.Container(t)
	// Both containers exist before their SAS are handed out.
	archiveSink, err := azblob.New(context.Background(), azblob.Options{ConnectionString: keyConn, Container: archiveName})
	if err != nil {
		t.Fatal(err)
	}
	stateSink, err := azblob.New(context.Background(), azblob.Options{ConnectionString: keyConn, Container: stateName})
	if err != nil {
		t.Fatal(err)
	}
	proxy := newArchiveProxy(t, keyConn, archiveName)
	p := newProcess(t, sim, fmt.Sprintf(`
log: {level: info}
http: {listen: ""}
storage:
  type: azblob
  azblob: {connection_string_env: ARCHIVE_SAS, container: %s}
state: {type: storage, container: %s, connection_string_env: STATE_CONNECTION}
defaults:
  schedule: "@every 1s"
  streams: [interactive-signins, noninteractive-signins, directory-audits]
  formats: [jsonl, csv]
  settle: 1s
  recheck: [5s, 15s]
  start: 3h
  rate_limit: {requests: 10000, per: 1s}
graph: {app_rate_limit: {requests: 10000, per: 1s}}
%s`, archiveName, stateName, tenantYAML(sim, "")),
		"ARCHIVE_SAS="+sasConnection(t, keyConn, archiveName, proxy.url, "rcl"),
		"STATE_CONNECTION="+sasConnection(t, keyConn, stateName, "", "rwl"))

	if out := p.mustRun("config", "check"); !strings.Contains(out, "state storage in container "+stateName) {
		t.Fatalf("config check does not name the state container:\n%s", out)
	}
	expire := func() { breakLeases(t, keyConn, stateName) }

	// The first run, killed three times, then completed while answers to
	// uploads get lost.
	killed := 0
	for i, d := range killPoints(20261214, 3, 300*time.Millisecond, 3*time.Second) {
		if killDuring(t, p, d, "once") {
			killed++
			expire()
		}
		t.Logf("once, kill point %d: %s", i+1, d)
	}
	if killed == 0 {
		t.Fatal("every once finished before its kill: the first run is too short to test crashes")
	}
	proxy.loseAnswers(true)
	p.mustRun("once")

	// The daemon, killed three times and restarted at once.
	for i, d := range killPoints(20261215, 3, 500*time.Millisecond, 4*time.Second) {
		if !killDuring(t, p, d, "run") {
			t.Fatal("run exited on its own")
		}
		expire()
		t.Logf("run, kill point %d: %s", i+1, d)
	}

	// The daemon rechecking while records arrive late, stopped gracefully.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd, _, stderr := p.command(ctx, "run")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(25 * time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run did not exit cleanly after SIGTERM: %v\n%s", err, lastLines(stderr.String(), 30))
	}
	if failed := linesWith(stderr.String(), "run failed"); len(failed) > 0 {
		t.Fatalf("the daemon's runs failed on the create-only archive:\n%s", strings.Join(head(failed), "\n"))
	}

	// Every span past its last recheck (15s) after Graph's last record
	// became visible (12s late at most), then a final run.
	time.Sleep(time.Until(until.Add(30 * time.Second)))
	p.mustRun("once")
	asOf := time.Now()

	tenant := sim.Tenant(tenantID)
	for _, st := range streams {
		state := loadState(t, stateSink, layout.Layout{}, "contoso", st.Name)
		if state.Watermark.Before(until) {
			t.Fatalf("%s: watermark %s, before Graph's last record at %s", st.Name, state.Watermark, until)
		}
		got := readStream(t, archiveSink, layout.Layout{}, "contoso", st, audit.Hour)
		exactly(t, st.Name, got, tenant.Visible(st.Name, audit.Window{From: state.Start, To: state.Watermark}, asOf))
		t.Logf("%s: %d records archived, sealed through %s", st.Name, len(got), state.SealedThrough.Format(time.RFC3339))
		if !state.SealedThrough.After(state.Start) {
			t.Errorf("%s: nothing sealed: the test did not exercise sealing", st.Name)
		}
	}

	// The archive container holds the archive only, and saw nothing but
	// creates, reads and lists.
	var manifests, quarantined int
	for _, name := range dataBlobs(t, archiveSink, "") {
		switch {
		case strings.HasPrefix(name, "_state/") || strings.HasPrefix(name, "_locks/"):
			t.Errorf("%s is in the archive container", name)
		case strings.HasSuffix(name, "_manifest.json"):
			manifests++
		case strings.HasPrefix(name, "_quarantine/"):
			quarantined++
		}
	}
	if manifests == 0 || quarantined == 0 {
		t.Errorf("%d manifests and %d quarantined records: sealing and the quarantine were not exercised", manifests, quarantined)
	}
	lost, refused, changes := proxy.report()
	t.Logf("archive container: %d answers to uploads lost, %d uploads refused with 403, %d manifests, %d quarantined records", lost, refused, manifests, quarantined)
	if len(changes) > 0 {
		t.Errorf("requests to the archive container other than create, read and list: %v", head(changes))
	}
	if lost == 0 || refused == 0 {
		t.Errorf("%d answers lost, %d retries refused: the retried uploads were not exercised", lost, refused)
	}
	if out := p.mustRun("verify"); !strings.HasSuffix(strings.TrimSpace(out), "no faults") {
		t.Fatalf("verify:\n%s", out)
	}
}

// sasConnection is a connection string to container name with a container
// SAS granting perms (in Azure's order: r, c, w, l): "rcl" creates, reads and
// lists but cannot write over a blob or delete one. A non-empty endpoint
// (scheme://host) replaces Azurite's.
func sasConnection(t *testing.T, keyConn, name, endpoint, perms string) string {
	t.Helper()
	c, err := azcontainer.NewClientFromConnectionString(keyConn, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := sas.ContainerPermissions{
		Read: strings.Contains(perms, "r"), Create: strings.Contains(perms, "c"),
		Write: strings.Contains(perms, "w"), List: strings.Contains(perms, "l"),
	}
	sasURL, err := c.GetSASURL(p, time.Now().Add(time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(sasURL)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Query().Get("sp"); got != perms {
		t.Fatalf("the SAS grants %q, want %q", got, perms)
	}
	if endpoint == "" {
		endpoint = u.Scheme + "://" + u.Host
	}
	account := strings.TrimSuffix(u.Path, "/"+name)
	return "BlobEndpoint=" + endpoint + account + ";SharedAccessSignature=" + u.RawQuery
}

// archiveProxy stands between the archiver and Azurite. When told to, it
// loses the answer to every fourth upload of a new blob after Azurite has
// stored it (the connection drops, as a network can), so the SDK's retry
// meets the blob its first attempt created. It records the uploads Azurite
// refuses with 403 and every request that would change or remove a blob
// rather than create, read or list one.
type archiveProxy struct {
	url       string
	container string

	mu       sync.Mutex
	losing   bool
	uploads  int
	lost     map[string]bool
	refused  int
	changes  []string
	upstream *httputil.ReverseProxy
}

// loseEvery and maxLost bound the lost answers: each costs the run a retry
// delay (0.8 s, then more).
const (
	loseEvery = 4
	maxLost   = 12
)

// errLost makes the proxy drop the connection instead of answering.
var errLost = errors.New("answer lost on purpose")

type loseKey struct{}

func newArchiveProxy(t *testing.T, keyConn, container string) *archiveProxy {
	t.Helper()
	var endpoint *url.URL
	for _, kv := range strings.Split(keyConn, ";") {
		if v, ok := strings.CutPrefix(kv, "BlobEndpoint="); ok {
			u, err := url.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			endpoint = &url.URL{Scheme: u.Scheme, Host: u.Host}
		}
	}
	if endpoint == nil {
		t.Fatal("Azurite's connection string has no BlobEndpoint")
	}
	p := &archiveProxy{container: container, lost: map[string]bool{}}
	p.upstream = httputil.NewSingleHostReverseProxy(endpoint)
	p.upstream.ModifyResponse = func(resp *http.Response) error {
		if resp.StatusCode == http.StatusForbidden && isUpload(resp.Request) {
			p.mu.Lock()
			p.refused++
			p.mu.Unlock()
		}
		if resp.Request.Context().Value(loseKey{}) != nil && resp.StatusCode == http.StatusCreated {
			return errLost
		}
		return nil
	}
	p.upstream.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if errors.Is(err, errLost) {
			if conn, _, herr := w.(http.Hijacker).Hijack(); herr == nil {
				conn.Close()
				return
			}
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.url = srv.URL
	return p
}

func (p *archiveProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.observe(r) {
		r = r.WithContext(context.WithValue(r.Context(), loseKey{}, true))
	}
	p.upstream.ServeHTTP(w, r)
}

// observe records r and reports whether its answer is to be lost.
func (p *archiveProxy) observe(r *http.Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	comp := r.URL.Query().Get("comp")
	switch {
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		return false
	case r.Method != http.MethodPut || !slices.Contains([]string{"", "block", "blocklist"}, comp):
		p.changes = append(p.changes, r.Method+" "+r.URL.Path+" comp="+comp)
		return false
	case !isUpload(r) || !p.losing || p.lost[r.URL.Path] || len(p.lost) >= maxLost:
		return false
	}
	p.uploads++
	if p.uploads%loseEvery != 0 {
		return false
	}
	p.lost[r.URL.Path] = true
	return true
}

// isUpload reports a Put Blob (one request with the whole body).
func isUpload(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Get("comp") == "" && r.URL.Query().Get("restype") == ""
}

func (p *archiveProxy) loseAnswers(on bool) {
	p.mu.Lock()
	p.losing = on
	p.mu.Unlock()
}

func (p *archiveProxy) report() (lost, refused int, changes []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lost), p.refused, slices.Clone(p.changes)
}

// linesWith returns the lines of s that contain sub.
func linesWith(s, sub string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return out
}

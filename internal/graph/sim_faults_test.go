package graph_test

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graph"
	"github.com/entra-archiver/entra-archiver/internal/graphsim"
)

func TestSimExtraFilterIsANDed(t *testing.T) {
	s := startSim(t, simTenantConfig(), nil)
	src := simSource(t, s, simSecret, nil)
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.ServicePrincipalSignIns} {
		all := s.Tenant(simTenant).Visible(st.Name, simWindow, simNow)
		var want [][]byte
		for _, raw := range all {
			var r struct {
				Status struct {
					ErrorCode int `json:"errorCode"`
				} `json:"status"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatal(err)
			}
			if r.Status.ErrorCode != 0 {
				want = append(want, raw)
			}
		}
		if len(want) == 0 || len(want) == len(all) {
			t.Fatalf("%s: %d of %d records match; the filter must select a proper subset", st.Name, len(want), len(all))
		}
		got, _, err := fetchAll(src, st, simWindow, "status/errorCode ne 0")
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		sameRecords(t, st.Name+" with filter", got, want)
	}
}

func TestSimThrottling(t *testing.T) {
	tests := []struct {
		name      string
		mode      graphsim.RetryAfterMode
		pace      int // tenant pacer: requests per 500ms
		wantNo429 bool
		// minWait: every wait after a 429 at least this long. graphsim
		// dates its answers by its own clock, days before the host's: an
		// HTTP-date counted from the host's clock would be no wait at all.
		minWait time.Duration
	}{
		{"paced at the limit", graphsim.RetryAfterFractional, 5, true, 0},
		{"too fast, fractional Retry-After", graphsim.RetryAfterFractional, 50, false, 0},
		{"too fast, no Retry-After", graphsim.RetryAfterNone, 50, false, 0},
		{"too fast, Retry-After as an HTTP-date", graphsim.RetryAfterDate, 50, false, time.Second},
	}
	streams := []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits, audit.Provisioning}
	w := audit.Window{From: simWindow.From, To: simWindow.From.Add(6 * time.Minute)}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := simTenantConfig()
			tc.Throttle = &graphsim.Throttle{Requests: 5, Per: 500 * time.Millisecond, RetryAfter: tt.mode}
			s := startSim(t, tc, nil)
			var throttled atomic.Int64
			// The tenant's streams share one Source and one tenant pacer,
			// as in the daemon.
			src := simSource(t, s, simSecret, func(o *graph.Options) {
				o.Tenant = graph.NewPacer(tt.pace, 500*time.Millisecond)
				o.PageSize = 20
				o.Rand = func() float64 { return 0.05 } // backoff ceilings of 2s, 4s … → 100ms, 200ms …
				o.Observer = observerFunc{request: func(status int) {
					if status == 429 {
						throttled.Add(1)
					}
				}, throttled: func(wait time.Duration) {
					if wait < tt.minWait {
						t.Errorf("waited %s after a 429, want at least %s (Retry-After counts from the answer's Date)", wait, tt.minWait)
					}
				}}
			})
			got := make([][][]byte, len(streams))
			errs := make([]error, len(streams))
			var wg sync.WaitGroup
			for i, st := range streams {
				wg.Go(func() { got[i], _, errs[i] = fetchAll(src, st, w, "") })
			}
			wg.Wait()
			for i, st := range streams {
				if errs[i] != nil {
					t.Fatalf("%s: %v", st.Name, errs[i])
				}
				sameRecords(t, st.Name, got[i], s.Tenant(simTenant).Visible(st.Name, w, simNow))
			}
			st := s.Tenant(simTenant).Stats()
			if st.Requests < 15 {
				t.Fatalf("only %d requests; the test needs more pages than the budget", st.Requests)
			}
			if int64(st.Throttled) != throttled.Load() {
				t.Errorf("simulator throttled %d requests, the observer saw %d", st.Throttled, throttled.Load())
			}
			if tt.wantNo429 && (st.Throttled != 0 || st.MaxInWindow > 5) {
				t.Errorf("paced client: %d throttled, at most %d requests in a window; want 0 and ≤ 5", st.Throttled, st.MaxInWindow)
			}
			if !tt.wantNo429 && st.Throttled == 0 {
				t.Errorf("a client pacing 10× over the limit was never throttled (stats %+v)", st)
			}
		})
	}
}

type observerFunc struct {
	request   func(status int)
	throttled func(wait time.Duration)
}

func (f observerFunc) Request(_ string, status int) { f.request(status) }
func (f observerFunc) Throttled(_ string, wait time.Duration) {
	if f.throttled != nil {
		f.throttled(wait)
	}
}

func TestSimFaults(t *testing.T) {
	tests := []struct {
		kind graphsim.FaultKind
		// wantErr is the documented error, nil when Fetch recovers.
		wantErr error
		// short: Graph stopped paging early; Fetch cannot know and returns
		// a strict subset (the job's rechecks find the rest).
		short bool
	}{
		{kind: graphsim.FaultServerError},
		{kind: graphsim.FaultReset},
		{kind: graphsim.FaultTruncate},
		{kind: graphsim.FaultMalformed},
		{kind: graphsim.FaultSlow},
		{kind: graphsim.FaultThrottle},
		{kind: graphsim.FaultNextLink400, wantErr: audit.ErrPagingFailed},
		{kind: graphsim.FaultEarlyEnd, short: true},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			tc := simTenantConfig()
			// Request 2 is the first nextLink.
			tc.Faults = graphsim.Faults{SlowDelay: 10 * time.Second, Script: []graphsim.ScriptedFault{{Request: 2, Kind: tt.kind}}}
			s := startSim(t, tc, nil)
			src := simSource(t, s, simSecret, func(o *graph.Options) {
				o.PageSize = 300
				o.RequestTimeout = 300 * time.Millisecond
			})
			want := s.Tenant(simTenant).Visible(audit.InteractiveSignIns.Name, simWindow, simNow)
			got, _, err := fetchAll(src, audit.InteractiveSignIns, simWindow, "")
			switch {
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				// The fault was once: re-issuing the window succeeds.
				if got, _, err = fetchAll(src, audit.InteractiveSignIns, simWindow, ""); err != nil {
					t.Fatalf("re-issued window: %v", err)
				}
				sameRecords(t, "re-issued window", got, want)
			case err != nil:
				t.Fatal(err)
			case tt.short:
				if len(got) == 0 || len(got) >= len(want) || !subset(got, want) {
					t.Errorf("early end: %d records of %d; want a non-empty strict subset", len(got), len(want))
				}
			default:
				sameRecords(t, "interactive-signins", got, want)
			}
		})
	}
}

func subset(got, want [][]byte) bool {
	in := map[string]bool{}
	for _, w := range want {
		in[string(w)] = true
	}
	for _, g := range got {
		if !in[string(g)] {
			return false
		}
	}
	return true
}

func TestSimRandomFaultsRecover(t *testing.T) {
	tc := simTenantConfig()
	tc.Faults = graphsim.Faults{Seed: 3, ServerError: 0.1, Reset: 0.1, Truncate: 0.1, Malformed: 0.1}
	s := startSim(t, tc, nil)
	src := simSource(t, s, simSecret, func(o *graph.Options) { o.PageSize = 100; o.MaxAttempts = 20 })
	for _, st := range []audit.Stream{audit.InteractiveSignIns, audit.DirectoryAudits} {
		got, _, err := fetchAll(src, st, simWindow, "")
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		sameRecords(t, st.Name, got, s.Tenant(simTenant).Visible(st.Name, simWindow, simNow))
	}
	if st := s.Tenant(simTenant).Stats(); st.ByStatus[200] == st.Requests {
		t.Fatalf("no fault was injected: %+v", st)
	}
}

func TestSimPermanentErrors(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*graphsim.TenantConfig)
		secret   string
		stream   audit.Stream
		filter   string
		sentinel error
		want     []string
	}{
		{"wrong secret", nil, "wrong~" + simSecret, audit.DirectoryAudits, "", audit.ErrUnauthorized,
			[]string{"AADSTS7000215", simTenant, simClient, "secret"}},
		{"free tenant, sign-ins", func(tc *graphsim.TenantConfig) { tc.Free = true }, simSecret, audit.NonInteractiveSignIns, "",
			audit.ErrNoPremiumLicense, []string{"P1 or P2", simTenant, "directory audits keep working"}},
		{"missing permission", func(tc *graphsim.TenantConfig) { tc.MissingPermissions = []string{"AuditLog.Read.All"} }, simSecret,
			audit.DirectoryAudits, "", audit.ErrForbidden, []string{"AuditLog.Read.All", "admin consent", simClient, simTenant}},
		{"bad filter", nil, simSecret, audit.InteractiveSignIns, "createdDateTime lt 2026-11-27T09:30:00Z", audit.ErrBadRequest,
			[]string{"createdDateTime lt 2026-11-27T09:30:00Z", "400"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tc := simTenantConfig()
			if tt.edit != nil {
				tt.edit(&tc)
			}
			s := startSim(t, tc, nil)
			src := simSource(t, s, tt.secret, nil)
			_, _, err := fetchAll(src, tt.stream, simWindow, tt.filter)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want %v", err, tt.sentinel)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), simSecret) {
				t.Errorf("error contains the secret: %v", err)
			}
			if st := s.Tenant(simTenant).Stats(); st.Requests > 1 {
				t.Errorf("%d Graph requests; a permanent error is not retried", st.Requests)
			}
		})
	}
	// A Free tenant's directory audits keep working.
	tc := simTenantConfig()
	tc.Free = true
	s := startSim(t, tc, nil)
	got, _, err := fetchAll(simSource(t, s, simSecret, nil), audit.DirectoryAudits, simWindow, "")
	if err != nil {
		t.Fatal(err)
	}
	sameRecords(t, "free tenant directory-audits", got, s.Tenant(simTenant).Visible(audit.DirectoryAudits.Name, simWindow, simNow))
}

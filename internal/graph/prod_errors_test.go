package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Tests of how production Graph's refusals are told apart (issue 13).

const premium403 = "Neither tenant is B2C or tenant doesn't have premium license"

func licence403(w http.ResponseWriter) {
	graphError(w, http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", premium403)
}

func TestLicence403IsTheVerdictUntilTheTenantWasServed(t *testing.T) {
	tests := []struct {
		stream audit.Stream
		want   []string
	}{
		{audit.InteractiveSignIns, []string{"sign-in logs need Entra ID P1 or P2 in tenant " + testTenant, "directory audits keep working"}},
		{audit.Provisioning, []string{"provisioning logs need Entra ID P1 or P2 in tenant " + testTenant, "remove provisioning"}},
	}
	for _, tt := range tests {
		t.Run(tt.stream.Name, func(t *testing.T) {
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if strings.Contains(r.URL.Path, "directoryAudits") {
					writePage(w, "", `{"id":"d","activityDateTime":"2026-11-27T03:30:00Z"}`)
					return
				}
				licence403(w)
			}, nil)
			// Directory audits work on Free tenants: their 200 proves nothing.
			if _, err := hs.fetch(audit.DirectoryAudits, ""); err != nil {
				t.Fatal(err)
			}
			_, err := hs.fetch(tt.stream, "")
			if !errors.Is(err, audit.ErrNoPremiumLicense) {
				t.Fatalf("err = %v, want ErrNoPremiumLicense", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if hs.requests() != 2 || hs.src.Licensed() {
				t.Errorf("%d requests, Licensed %v; want the verdict at once, unlicensed", hs.requests(), hs.src.Licensed())
			}
		})
	}
}

func TestLicence403IsRetriedOnceTheTenantIsLicensed(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	tests := []struct {
		name string
		// learn makes the Source know the tenant is licensed.
		learn  func(hs *harness)
		onNext bool
	}{
		{"state says so", func(hs *harness) { hs.src.NoteLicensed() }, false},
		{"another sign-in stream was served", func(hs *harness) {
			if _, err := hs.fetch(audit.ServicePrincipalSignIns, ""); err != nil {
				hs.t.Fatal(err)
			}
		}, false},
		{"provisioning was served", func(hs *harness) {
			if _, err := hs.fetch(audit.Provisioning, ""); err != nil {
				hs.t.Fatal(err)
			}
		}, false},
		// The window's own first page licenses the tenant; more licence
		// 403s than the nextLink's early give-up allows are retried.
		{"mid-paging", func(*harness) {}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var next string
			learning, refusals := true, 0
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case learning:
					writePage(w, "")
				case tt.onNext && r.URL.Query().Get("$skiptoken") == "":
					writePage(w, next, a)
				case refusals < DefaultMaxAttempts-1:
					refusals++
					licence403(w)
				default:
					writePage(w, "", rec("b", "2026-11-27T03:20:00Z"))
				}
			}, nil)
			next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
			tt.learn(hs)
			learning = false
			got, err := hs.fetch(audit.InteractiveSignIns, "")
			if err != nil {
				t.Fatalf("err = %v; want the licence 403s retried", err)
			}
			if !hs.src.Licensed() || len(got) == 0 || refusals != DefaultMaxAttempts-1 {
				t.Errorf("Licensed %v, %d records after %d refusals", hs.src.Licensed(), len(got), refusals)
			}
			if len(hs.sleeps) != refusals {
				t.Errorf("%d backoffs for %d refusals, want one each", len(hs.sleeps), refusals)
			}
			if n := hs.logged.FilterMessageSnippet("licence 403 to a licensed tenant").Len(); n != refusals {
				t.Errorf("%d warnings about the licence 403, want %d", n, refusals)
			}
		})
	}
}

func TestLicence403GivesUpAfterMaxAttempts(t *testing.T) {
	for _, onNext := range []bool{false, true} {
		var next string
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if onNext && n == 1 {
				writePage(w, next)
				return
			}
			licence403(w)
		}, func(o *Options) { o.MaxAttempts = 4 })
		next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
		hs.src.NoteLicensed()
		_, err := hs.fetch(audit.NonInteractiveSignIns, "")
		if err == nil || !strings.Contains(err.Error(), "kept answering the licence 403 (4 attempts) although it served this tenant's") {
			t.Fatalf("onNext %v: err = %v, want it to say Graph kept answering the licence 403", onNext, err)
		}
		// The tenant is licensed: neither the no-licence verdict nor a
		// paging failure (splitting the window would not help).
		if errors.Is(err, audit.ErrNoPremiumLicense) || errors.Is(err, audit.ErrPagingFailed) {
			t.Errorf("onNext %v: err = %v matches a sentinel", onNext, err)
		}
		if want := 4 + map[bool]int{false: 0, true: 1}[onNext]; hs.requests() != want {
			t.Errorf("onNext %v: %d requests, want %d", onNext, hs.requests(), want)
		}
	}
}

// TestLicenceIsSharedSafely runs the streams of one tenant at once, as the
// job does, while the licence and the clock are read and written.
func TestLicenceIsSharedSafely(t *testing.T) {
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		writePage(w, "", rec("a", "2026-11-27T03:30:00Z"))
	}, nil)
	var wg sync.WaitGroup
	for _, st := range audit.Streams {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_ = hs.src.Fetch(context.Background(), st, pageWindow, "", func(audit.Page) error { return nil })
		}()
		go func() {
			defer wg.Done()
			hs.src.NoteLicensed()
			_ = hs.src.Licensed()
			_, _ = hs.src.ServerNow()
		}()
	}
	wg.Wait()
	if !hs.src.Licensed() {
		t.Error("not licensed")
	}
}

const minimumTime400 = "Specified argument was out of the range of valid values. " +
	"(Parameter 'Minimum allowed time for activityDateTime is 2/5/2023 12:00:00 AM')"

// checkMinimumTime checks err is the minimum-time error for minimum, says
// what happened and does not blame the user's filter.
func checkMinimumTime(t *testing.T, err error, minimum time.Time, named bool) {
	t.Helper()
	var me *audit.MinimumTimeError
	if !errors.As(err, &me) || !errors.Is(err, audit.ErrBeforeMinimumTime) {
		t.Fatalf("err = %v, want *audit.MinimumTimeError", err)
	}
	if !me.Minimum.Equal(minimum) || me.Minimum.Location() != time.UTC || me.Named != named {
		t.Errorf("Minimum %v (named %v), want %v (named %v)", me.Minimum, me.Named, minimum, named)
	}
	for _, s := range []error{audit.ErrBadRequest, audit.ErrPagingFailed} {
		if errors.Is(err, s) {
			t.Errorf("err matches %v", s)
		}
	}
	want := "Graph no longer serves logs before " + audit.FormatTime(minimum)
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "the job resumes from there") {
		t.Errorf("error %q does not say %q and that the job resumes from there", err, want)
	}
	if strings.Contains(err.Error(), "check the stream's filter") || strings.Contains(err.Error(), "userPrincipalName") {
		t.Errorf("error %q blames the user's filter", err)
	}
}

func TestMinimumTimeNamedByGraph(t *testing.T) {
	tests := []struct {
		name   string
		stream audit.Stream
		msg    string
		onNext bool
		want   time.Time
	}{
		{"directory audits", audit.DirectoryAudits, minimumTime400, false, time.Date(2023, 2, 5, 0, 0, 0, 0, time.UTC)},
		{"provisioning, afternoon", audit.Provisioning,
			"Specified argument was out of the range of valid values. (Parameter 'Minimum allowed time for activityDateTime is 12/31/2026 1:30:05 PM')",
			false, time.Date(2026, 12, 31, 13, 30, 5, 0, time.UTC)},
		{"on a nextLink", audit.DirectoryAudits, minimumTime400, true, time.Date(2023, 2, 5, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var next string
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tt.onNext && n == 1 {
					writePage(w, next)
					return
				}
				graphError(w, http.StatusBadRequest, "BadRequest", tt.msg)
			}, nil)
			next = hs.srv.URL + "/v1.0/auditLogs/directoryAudits?$skiptoken=more"
			_, err := hs.fetch(tt.stream, "userPrincipalName eq 'a@b'")
			checkMinimumTime(t, err, tt.want, true)
			if want := map[bool]int{false: 1, true: 2}[tt.onNext]; hs.requests() != want {
				t.Errorf("%d requests, want %d (not retried)", hs.requests(), want)
			}
		})
	}
}

func TestSignInsInvalidFilterAtGraphsEdge(t *testing.T) {
	// pageWindow begins 2026-11-27T03:00Z. Graph's edge is midnight UTC
	// 30 days back by its clock.
	tests := []struct {
		name     string
		graphNow time.Time
		noDate   bool // Graph's answer has no Date: the host clock decides
		want     time.Time
	}{
		{"window before the edge", time.Date(2026, 12, 28, 10, 0, 0, 0, time.UTC), false,
			time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
		{"window within a day after the edge", time.Date(2026, 12, 27, 10, 0, 0, 0, time.UTC), false,
			time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"the margin moves the edge before Graph's midnight", time.Date(2026, 12, 27, 23, 30, 0, 0, time.UTC), false,
			time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
		{"no Date header: the host clock", time.Date(2026, 12, 28, 10, 0, 0, 0, time.UTC), true,
			time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)},
		{"window more than a day after the edge", time.Date(2026, 12, 26, 10, 0, 0, 0, time.UTC), false, time.Time{}},
		{"no Date header, window far from the host's edge", time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC), true, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if tt.noDate {
					w.Header()["Date"] = nil // net/http then sends none
				}
				graphError(w, http.StatusBadRequest, "BadRequest", "Invalid filter clause")
			}, nil)
			hs.clock.Set(tt.graphNow)
			_, err := hs.fetch(audit.InteractiveSignIns, "userPrincipalName eq 'a@b'")
			if tt.want.IsZero() {
				// Far from the edge the 400 is the query's own.
				if !errors.Is(err, audit.ErrBadRequest) || errors.Is(err, audit.ErrBeforeMinimumTime) ||
					!strings.Contains(err.Error(), "userPrincipalName eq 'a@b'") {
					t.Fatalf("err = %v, want ErrBadRequest naming the filter", err)
				}
				return
			}
			checkMinimumTime(t, err, tt.want, false)
			if _, ok := hs.src.ServerNow(); ok == tt.noDate {
				t.Errorf("ServerNow ok = %v with noDate %v", ok, tt.noDate)
			}
		})
	}
}

func TestSignInsInvalidFilterOnANextLinkIsAPagingFailure(t *testing.T) {
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writePage(w, next)
			return
		}
		graphError(w, http.StatusBadRequest, "BadRequest", "Invalid filter clause")
	}, nil)
	next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
	hs.clock.Set(time.Date(2026, 12, 28, 10, 0, 0, 0, time.UTC))
	// Re-issuing the window brings its first request's verdict.
	if _, err := hs.fetch(audit.InteractiveSignIns, ""); !errors.Is(err, audit.ErrPagingFailed) {
		t.Fatalf("err = %v, want ErrPagingFailed", err)
	}
}

func TestResourceNotFoundIsNotInThisCloud(t *testing.T) {
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment 'signIns'.")
	}, nil)
	// Even at Graph's edge, a missing collection is not the edge's fault.
	hs.clock.Set(time.Date(2026, 12, 28, 10, 0, 0, 0, time.UTC))
	_, err := hs.fetch(audit.ServicePrincipalSignIns, "appId eq 'x'")
	if !errors.Is(err, audit.ErrNotInCloud) {
		t.Fatalf("err = %v, want ErrNotInCloud", err)
	}
	host := strings.TrimPrefix(hs.srv.URL, "https://")
	for _, want := range []string{"serviceprincipal-signins is not available in the national cloud of tenant " + testTenant,
		host, `"signIns"`, "remove serviceprincipal-signins from this tenant's streams"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	for _, s := range []error{audit.ErrBadRequest, audit.ErrBeforeMinimumTime, audit.ErrPagingFailed} {
		if errors.Is(err, s) {
			t.Errorf("err matches %v", s)
		}
	}
	if strings.Contains(err.Error(), "filter") || hs.requests() != 1 {
		t.Errorf("%d requests; error %q must not mention the filter", hs.requests(), err)
	}
}

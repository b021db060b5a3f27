package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

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

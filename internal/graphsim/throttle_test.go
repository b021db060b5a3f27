package graphsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestTenantThrottle(t *testing.T) {
	cases := []struct {
		mode RetryAfterMode
		re   string
	}{
		{RetryAfterFractional, `^\d+\.\d{3}$`},
		{RetryAfterInteger, `^\d+$`},
		{RetryAfterNone, `^$`},
		{RetryAfterDate, `^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$`},
	}
	for _, c := range cases {
		s, _ := startSim(t, func(o *Options) {
			o.Tenants[0].Throttle = &Throttle{Requests: 3, Per: time.Hour, RetryAfter: c.mode}
		})
		tok := fetchToken(t, s)
		u := recentURL(s, audit.DirectoryAudits, "$top=1")
		var statuses []int
		var retry, dates []string
		for range 5 {
			r := get(t, s, tok, u)
			statuses = append(statuses, r.status)
			retry = append(retry, r.header.Get("Retry-After"))
			dates = append(dates, r.header.Get("Date"))
			if r.status == http.StatusTooManyRequests {
				var e graphErrorBody
				if err := json.Unmarshal(r.body, &e); err != nil || e.Error.Code != "TooManyRequests" {
					t.Errorf("429 body %s", r.body)
				}
			}
		}
		if want := []int{200, 200, 200, 429, 429}; !slices.Equal(statuses, want) {
			t.Fatalf("mode %d: statuses %v, want %v", c.mode, statuses, want)
		}
		for k, ra := range retry[3:] {
			if !regexp.MustCompile(c.re).MatchString(ra) {
				t.Errorf("mode %d: Retry-After %q", c.mode, ra)
			}
			secs, err := strconv.ParseFloat(ra, 64)
			if c.mode == RetryAfterDate {
				// An HTTP-date counts from the answer's Date.
				at, err1 := http.ParseTime(ra)
				date, err2 := http.ParseTime(dates[3+k])
				secs, err = at.Sub(date).Seconds(), errors.Join(err1, err2)
			}
			if ra != "" && (err != nil || secs < 3000 || secs > 3601) {
				t.Errorf("Retry-After %q: want the time until the window's oldest request leaves it (~3600s)", ra)
			}
		}
		st := s.Tenant(testTenant).Stats()
		if st.Requests != 5 || st.Throttled != 2 || st.ByStatus[429] != 2 || st.ByStatus[200] != 3 || st.MaxInWindow != 5 {
			t.Errorf("stats %+v", st)
		}
		s.Tenant(testTenant).SetThrottle(nil)
		if r := get(t, s, tok, u); r.status != 200 {
			t.Errorf("after SetThrottle(nil): %d", r.status)
		}
	}
}

func TestAppThrottle(t *testing.T) {
	second := baseTenant()
	second.ID, second.ClientID = "22222222-2222-4333-8444-555555555555", "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	second.LicenceFlake = -1 // exact statuses
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].LicenceFlake = -1
		o.Tenants = append(o.Tenants, second)
		o.AppThrottle = &Throttle{Requests: 3, Per: time.Hour, RetryAfter: RetryAfterInteger}
	})
	tok1 := fetchToken(t, s)
	_, body := postToken(t, s, second.ID, map[string][]string{
		"grant_type": {"client_credentials"}, "client_id": {second.ClientID},
		"client_secret": {second.ClientSecret}, "scope": {s.GraphURL() + "/.default"},
	})
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		t.Fatal(err)
	}
	u := collectionURL(s, audit.Provisioning, "", "$top=1")
	var statuses []int
	for k := range 4 {
		tok := tok1
		if k%2 == 1 {
			tok = tr.AccessToken
		}
		statuses = append(statuses, get(t, s, tok, u).status)
	}
	if want := []int{200, 200, 200, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
	if st := s.AppStats(); st.MaxInWindow != 4 || st.Throttled != 1 || st.Requests != 4 {
		t.Errorf("app stats %+v", st)
	}
	if st := s.Tenant(second.ID).Stats(); st.MaxInWindow != 2 || st.Throttled != 1 {
		t.Errorf("second tenant stats %+v", st)
	}
}

func TestWindowSlides(t *testing.T) {
	w := newWindow(10 * time.Second)
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at         time.Duration
		wantCount  int
		wantWait   time.Duration
		limitAfter int
	}{
		{0, 1, 0, 2},
		{4 * time.Second, 2, 0, 2},
		{5 * time.Second, 3, 9 * time.Second, 2},  // 0s and 4s must leave: at 14s
		{10 * time.Second, 3, 5 * time.Second, 2}, // 0s left; 4s and 5s must leave: at 15s
		{20 * time.Second, 1, 0, 2},               // an arrival exactly per ago has left
	}
	for _, st := range steps {
		count, wait := w.add(t0.Add(st.at), st.limitAfter)
		if count != st.wantCount || wait != st.wantWait {
			t.Errorf("at %v: count %d wait %v, want %d %v", st.at, count, wait, st.wantCount, st.wantWait)
		}
	}
	if w.maxSeen() != 3 {
		t.Errorf("max %d", w.maxSeen())
	}
}

func TestLicenceAndPermissions(t *testing.T) {
	s, _ := startSim(t, func(o *Options) {
		o.Tenants[0].Free = true
	})
	tok := fetchToken(t, s)
	ten := s.Tenant(testTenant)
	signIns := recentURL(s, audit.InteractiveSignIns, "$top=1")
	audits := recentURL(s, audit.DirectoryAudits, "$top=1")
	r := get(t, s, tok, signIns)
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "Neither tenant is B2C or tenant doesn't have premium license") {
		t.Fatalf("Free sign-ins: %d %s", r.status, r.body)
	}
	if r := get(t, s, tok, audits); r.status != 200 {
		t.Fatalf("Free audits: %d", r.status)
	}
	old := audit.Window{From: testNow.Add(-10 * 24 * time.Hour), To: testNow.Add(-9 * 24 * time.Hour)}
	if n := len(ten.Visible(audit.DirectoryAudits.Name, old, testNow)); n != 0 {
		t.Errorf("Free tenant shows %d records older than 7 days", n)
	}
	ten.SetFree(false)
	if r := get(t, s, tok, signIns); r.status != 200 {
		t.Fatalf("after SetFree(false): %d", r.status)
	}
	if n := len(ten.Visible(audit.DirectoryAudits.Name, old, testNow)); n == 0 {
		t.Error("P1 tenant hides records from 10 days ago")
	}

	for _, c := range []struct {
		missing       string
		signIns, auds int
		name          string
	}{
		{permDirectory, 403, 200, "Read directory data"},
		{permAuditLog, 403, 403, "Read all audit log data"},
	} {
		s, _ := startSim(t, func(o *Options) { o.Tenants[0].MissingPermissions = []string{c.missing} })
		tok := fetchToken(t, s)
		for u, want := range map[string]int{recentURL(s, audit.InteractiveSignIns): c.signIns, recentURL(s, audit.DirectoryAudits): c.auds} {
			r := get(t, s, tok, u)
			if r.status != want {
				t.Errorf("missing %s: %s: %d, want %d", c.missing, u, r.status, want)
			}
			if want == 403 && (!strings.Contains(string(r.body), "Authorization_RequestDenied") ||
				!strings.Contains(string(r.body), "Insufficient privileges to complete the operation.") || !strings.Contains(string(r.body), c.name)) {
				t.Errorf("missing %s: body %s", c.missing, r.body)
			}
		}
	}
}

package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Tests of what production Graph does to paging and requests (issue 13).

func TestEveryRequestPrefersUnknownEnumMembers(t *testing.T) {
	for _, applied := range []bool{false, true} {
		var next string
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if applied {
				w.Header().Set("Preference-Applied", "include-unknown-enum-members")
			}
			switch n {
			case 1:
				writePage(w, next, rec("a", "2026-11-27T03:30:00Z"))
			case 2:
				graphError(w, http.StatusServiceUnavailable, "UnknownError", "try later")
			default:
				writePage(w, "", rec("b", "2026-11-27T03:20:00Z"))
			}
		}, nil)
		next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
		if _, err := hs.fetch(audit.InteractiveSignIns, ""); err != nil {
			t.Fatal(err)
		}
		// The first request, the nextLink and its retry all ask.
		if len(hs.prefer) != 3 {
			t.Fatalf("%d requests, want 3", len(hs.prefer))
		}
		for i, p := range hs.prefer {
			if p != "include-unknown-enum-members" {
				t.Errorf("request %d: Prefer %q, want include-unknown-enum-members", i+1, p)
			}
		}
		noted := hs.logged.FilterMessageSnippet("did not confirm Prefer").Len()
		if want := map[bool]int{false: 1, true: 0}[applied]; noted != want {
			t.Errorf("Preference-Applied %v: %d debug lines about it, want %d (once per Source)", applied, noted, want)
		}
	}
}

func TestNullNextLinkIsTheLastPage(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"@odata.context":"x","value":[`+a+`],"@odata.nextLink":null}`)
	}, nil)
	got, err := hs.fetch(audit.InteractiveSignIns, "")
	if err != nil || len(got) != 1 || got[0] != a || hs.requests() != 1 {
		t.Fatalf("records %q, err %v over %d requests; want [a] from one request", got, err, hs.requests())
	}
}

func TestEmptyPagesInARow(t *testing.T) {
	a := rec("a", "2026-11-27T03:30:00Z")
	tests := []struct {
		name    string
		empties int // empty pages with a nextLink before the page with a
		wantErr bool
	}{
		{"50 empty pages are followed", maxEmptyPages, false},
		{"51 fail the window", maxEmptyPages + 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				switch {
				case n == 1:
					// A page whose records are all outside the window is
					// not empty: Graph served something.
					writePage(w, fmt.Sprintf("%s/beta/auditLogs/signIns?$skiptoken=%d", base, n), rec("old", "2026-11-27T02:00:00Z"))
				case n <= 1+tt.empties:
					writePage(w, fmt.Sprintf("%s/beta/auditLogs/signIns?$skiptoken=%d", base, n))
				default:
					writePage(w, "", a)
				}
			}, nil)
			base = hs.srv.URL
			got, err := hs.fetch(audit.InteractiveSignIns, "")
			if tt.wantErr {
				if !errors.Is(err, audit.ErrPagingFailed) || !strings.Contains(err.Error(), "51 pages in a row") {
					t.Fatalf("err = %v, want ErrPagingFailed naming 51 empty pages", err)
				}
				if hs.requests() != 1+maxEmptyPages+1 {
					t.Errorf("%d requests, want %d", hs.requests(), 1+maxEmptyPages+1)
				}
				return
			}
			if err != nil || len(got) != 1 {
				t.Fatalf("records %q, err %v; want [a]", got, err)
			}
		})
	}
}

// TestFetchConfirmsRecordsNotJSON: a page holding a record that is not
// valid JSON is asked for once more; the same bytes again are the record's
// (rejected, the rest archived); a stray byte that does not come back was
// garbling (the page as served the second time is archived whole).
func TestFetchConfirmsRecordsNotJSON(t *testing.T) {
	a, b := rec("a", "2026-11-27T03:30:00Z"), rec("b", "2026-11-27T03:20:00Z")
	broken := `{"id":"tc","createdDateTime":"2026-11-27T03:25:00Z",}`
	t.Run("stored that way", func(t *testing.T) {
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			writePage(w, "", a, broken, b)
		}, nil)
		var pages []audit.Page
		if err := hs.src.Fetch(context.Background(), audit.InteractiveSignIns, pageWindow, "", func(pg audit.Page) error {
			pages = append(pages, pg)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if hs.requests() != 2 || len(pages) != 1 {
			t.Fatalf("%d pages over %d requests, want 1 over 2 (one more to confirm)", len(pages), hs.requests())
		}
		pg := pages[0]
		if got := rawStrings(pg.Records); fmt.Sprint(got) != fmt.Sprint([]string{a, b}) || pg.Served != 3 ||
			len(pg.Rejects) != 1 || string(pg.Rejects[0].Raw) != broken {
			t.Errorf("records %q, served %d, rejects %+v; want a and b, 3, and the broken record as served", got, pg.Served, pg.Rejects)
		}
	})
	t.Run("garbled once", func(t *testing.T) {
		hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				writePage(w, "", a, `{"id":"b","createdDateTime":"2026-11-27T03:20:00Z",}`)
				return
			}
			writePage(w, "", a, b)
		}, nil)
		got, err := hs.fetch(audit.InteractiveSignIns, "")
		if err != nil || hs.requests() != 2 || fmt.Sprint(got) != fmt.Sprint([]string{a, b}) {
			t.Fatalf("records %q over %d requests, err %v; want a and b over 2", got, hs.requests(), err)
		}
	})
}

func TestFetchQuarantinesRecordsItCannotArchive(t *testing.T) {
	a, b := rec("a", "2026-11-27T03:30:00Z"), rec("b", "2026-11-27T03:20:00Z")
	noTime := `{"id":"no-time-7","status":{}}`
	noID := `{"createdDateTime":"2026-11-27T03:10:00Z"}`
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			writePage(w, next, a, noTime, rec("old", "2026-11-27T02:00:00Z"), b)
		default:
			// Only rejects: the callback still hears of them.
			writePage(w, "", noID, `"just a string"`)
		}
	}, nil)
	next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
	var pages []audit.Page
	err := hs.src.Fetch(context.Background(), audit.InteractiveSignIns, pageWindow, "", func(pg audit.Page) error {
		pages = append(pages, pg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if hs.requests() != 2 || len(pages) != 2 {
		t.Fatalf("%d pages over %d requests, want 2 over 2 (a reject is not retried)", len(pages), hs.requests())
	}
	type summary struct {
		records []string
		rejects []string
		served  int
	}
	sum := func(pg audit.Page) summary {
		s := summary{records: rawStrings(pg.Records), served: pg.Served}
		for _, r := range pg.Rejects {
			s.rejects = append(s.rejects, string(r.Raw)+" | "+r.Reason)
		}
		return s
	}
	want := []summary{
		{[]string{a, b}, []string{noTime + ` | createdDateTime missing, id "no-time-7"`}, 4},
		{nil, []string{noID + " | no id", `"just a string" | not a JSON object`}, 2},
	}
	for i := range want {
		if got := sum(pages[i]); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("page %d\n got %+v\nwant %+v", i+1, got, want[i])
		}
	}
}

func TestWideFirstPageTimesOut(t *testing.T) {
	stall := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	status := func(code int) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) { graphError(w, code, "x", "Gateway timed out") }
	}
	stallBody := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		fmt.Fprint(w, `{"value":[`)
		w.(http.Flusher).Flush()
		stall(w, r)
	}
	cut := func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"value":[{"id":"c","createdDateTime":"2026-11-27T03:1`)
	}
	tests := []struct {
		name        string
		maxAttempts int
		script      []func(http.ResponseWriter, *http.Request) // by request; the last repeats
		want        error
		requests    int
	}{
		{"504 every time", 0, []func(http.ResponseWriter, *http.Request){status(504)}, audit.ErrTimedOut, 5},
		{"429s do not count", 0, []func(http.ResponseWriter, *http.Request){
			status(504), status(429), status(504), status(429), status(504), status(504), status(504)}, audit.ErrTimedOut, 7},
		{"408 and other 5xx", 0, []func(http.ResponseWriter, *http.Request){
			status(408), status(500), status(502), status(503), status(504)}, audit.ErrTimedOut, 5},
		{"no answer in time", 3, []func(http.ResponseWriter, *http.Request){stall}, audit.ErrTimedOut, 2},
		{"no whole answer in time", 3, []func(http.ResponseWriter, *http.Request){stallBody}, audit.ErrTimedOut, 2},
		// Garbled answers are not Graph giving up on the query: all the
		// attempts, then no sentinel.
		{"garbled pages", 3, []func(http.ResponseWriter, *http.Request){cut}, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
				tt.script[min(n, len(tt.script))-1](w, r)
			}, func(o *Options) {
				o.MaxAttempts = tt.maxAttempts
				o.RequestTimeout = 200 * time.Millisecond
			})
			_, err := hs.fetch(audit.InteractiveSignIns, "")
			if err == nil {
				t.Fatal("no error")
			}
			if tt.want == nil {
				if errors.Is(err, audit.ErrTimedOut) || errors.Is(err, audit.ErrPagingFailed) ||
					!strings.Contains(err.Error(), "giving up after 3 attempts") {
					t.Errorf("err = %v, want giving up after 3 attempts, no sentinel", err)
				}
			} else {
				if !errors.Is(err, tt.want) || errors.Is(err, audit.ErrPagingFailed) {
					t.Errorf("err = %v, want %v only", err, tt.want)
				}
				if !strings.Contains(err.Error(), "three days of data") {
					t.Errorf("error %q does not pass on Microsoft's advice", err)
				}
			}
			if hs.requests() != tt.requests {
				t.Errorf("%d requests, want %d", hs.requests(), tt.requests)
			}
		})
	}
}

func TestNextLinkTimeoutsAreAPagingFailure(t *testing.T) {
	var next string
	hs := newHarness(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			writePage(w, next, rec("a", "2026-11-27T03:30:00Z"))
			return
		}
		graphError(w, http.StatusGatewayTimeout, "x", "Gateway timed out")
	}, nil)
	next = hs.srv.URL + "/beta/auditLogs/signIns?$skiptoken=more"
	_, err := hs.fetch(audit.InteractiveSignIns, "")
	if !errors.Is(err, audit.ErrPagingFailed) || errors.Is(err, audit.ErrTimedOut) {
		t.Fatalf("err = %v, want ErrPagingFailed only", err)
	}
}

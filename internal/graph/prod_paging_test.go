package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

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

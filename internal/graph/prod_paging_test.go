package graph

import (
	"net/http"
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

package graphsim

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

func TestNextLink(t *testing.T) {
	s, _ := startSim(t, nil)
	tok := fetchToken(t, s)
	filter := "createdDateTime ge 2026-11-20T00:00:00Z and createdDateTime le 2026-11-20T02:00:00Z and status/errorCode eq 0"
	u := collectionURL(s, v1SignIns, filter, "$top=10")
	var links []string
	oddities := map[string]bool{}
	for k := 0; k < 12; k++ {
		r := get(t, s, tok, u)
		c := decodePage(t, r)
		oddities["annotation"] = oddities["annotation"] || bytes.Contains(r.body, []byte(`"@microsoft.graph.tips"`))
		oddities["nextLink last"] = oddities["nextLink last"] || bytes.Index(r.body, []byte(`"@odata.nextLink"`)) > bytes.Index(r.body, []byte(`"value"`))
		oddities[`\u0026`] = oddities[`\u0026`] || bytes.Contains(r.body, []byte(`\u0026`))
		oddities["%20"] = oddities["%20"] || strings.Contains(c.NextLink, "%20")
		oddities["+"] = oddities["+"] || strings.Contains(c.NextLink, "+")
		if !strings.HasPrefix(c.NextLink, s.GraphURL()+"/v1.0/auditLogs/") {
			t.Fatalf("nextLink %q is not absolute", c.NextLink)
		}
		if !strings.HasPrefix(c.Context, s.GraphURL()+"/v1.0/$metadata#auditLogs/signIns") {
			t.Errorf("@odata.context = %q", c.Context)
		}
		nu, err := url.Parse(c.NextLink)
		if err != nil {
			t.Fatal(err)
		}
		if q := nu.Query(); q.Get("$filter") != filter || q.Get("$top") != "10" || q.Get("$skiptoken") == "" {
			t.Fatalf("nextLink query %v lost $filter or $top", q)
		}
		links = append(links, c.NextLink)
		u = c.NextLink
	}
	if !slices.ContainsFunc(links, func(l string) bool { return strings.Contains(l, "/auditLogs/signins?") }) {
		t.Error("nextLink path case never varies")
	}
	for _, o := range []string{"annotation", "nextLink last", `\u0026`, "%20", "+"} {
		if !oddities[o] {
			t.Errorf("no page shows %s", o)
		}
	}

	link := links[0]
	tamper := []struct{ name, url string }{
		{"flipped byte", flipSkiptoken(t, link)},
		{"other filter", withParam(t, link, "$filter", strings.Replace(filter, "eq 0", "eq 1", 1))},
		{"other top", withParam(t, link, "$top", "11")},
		{"garbage", s.GraphURL() + "/v1.0/auditLogs/signIns?$skiptoken=abc"},
	}
	for _, c := range tamper {
		if c.url == link {
			t.Fatalf("%s: could not tamper with %s", c.name, link)
		}
		r := get(t, s, tok, c.url)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "skiptoken") {
			t.Errorf("%s: %d %s", c.name, r.status, r.body)
		}
	}
}

func withParam(t *testing.T, link, key, value string) string {
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func flipSkiptoken(t *testing.T, link string) string {
	i := strings.Index(link, "$skiptoken=") + len("$skiptoken=") + 5
	c := byte('A')
	if link[i] == 'A' {
		c = 'B'
	}
	return link[:i] + string(c) + link[i+1:]
}

// TestNullNextLink: a last page now and then carries "@odata.nextLink":null
// (before or after the value) instead of leaving it out; other pages never.
func TestNullNextLink(t *testing.T) {
	for _, off := range []bool{false, true} {
		s, _ := startSim(t, func(o *Options) { o.Tenants[0].NoNullNextLink = off })
		tok := fetchToken(t, s)
		ten := s.Tenant(testTenant)
		st := audit.Provisioning
		forms := map[string]int{}
		for h := 2; h < 26; h++ {
			w := audit.Window{From: testNow.Add(-time.Duration(h) * time.Hour), To: testNow.Add(-time.Duration(h-1) * time.Hour)}
			u := collectionURL(s, st, windowFilter(st, w), "$top=100")
			var got [][]byte
			for u != "" {
				r := get(t, s, tok, u)
				c := decodePage(t, r)
				got = append(got, rawValues(c)...)
				i, v := bytes.Index(r.body, []byte(`"@odata.nextLink":null`)), bytes.Index(r.body, []byte(`"value":[`))
				switch {
				case i >= 0 && c.NextLink != "":
					t.Fatal("a page with a nextLink also says null")
				case i >= 0 && i < v:
					forms["null first"]++
				case i >= 0:
					forms["null last"]++
				case c.NextLink == "":
					forms["absent"]++
				}
				u = c.NextLink
			}
			equalRecords(t, w.String(), sortedUnique(t, st, inWindow(t, st, w, got)), ten.Visible(st.Name, w, testNow))
		}
		if off && forms["null first"]+forms["null last"] > 0 {
			t.Errorf("NoNullNextLink: %v", forms)
		}
		if !off && (forms["null first"] == 0 || forms["null last"] == 0 || forms["absent"] == 0) {
			t.Errorf("last pages %v: want every form", forms)
		}
	}
}

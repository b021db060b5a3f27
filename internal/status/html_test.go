package status_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
)

var (
	rowRE  = regexp.MustCompile(`(?s)<tr class="([a-z -]*)">(.*?)</tr>`)
	cellRE = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]+>`)
	dayRE  = regexp.MustCompile(`<li class="([a-z]+)" title="([^"]*)"`)
)

// servePage renders the page for a report.
func servePage(t *testing.T, rep status.Report) (*http.Response, string) {
	t.Helper()
	h := status.Handler(func(context.Context) (status.Report, error) { return rep, nil }, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// tableRows returns each job row's class and the text of its cells.
func tableRows(body string) (classes []string, rows [][]string) {
	tbody := body[strings.Index(body, "<tbody>"):strings.Index(body, "</tbody>")]
	for _, m := range rowRE.FindAllStringSubmatch(tbody, -1) {
		var cells []string
		for _, c := range cellRE.FindAllStringSubmatch(m[2], -1) {
			cells = append(cells, strings.TrimSpace(tagRE.ReplaceAllString(c[1], "")))
		}
		classes, rows = append(classes, m[1]), append(rows, cells)
	}
	return classes, rows
}

func TestPage(t *testing.T) {
	t.Parallel()
	f := statustest.Build(t, t0)
	rep := collect(t, f.Options())
	res, body := servePage(t, rep)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q, want default-src 'none'", csp)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="60">`,
		`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		`Generated 2026-11-20 12:00Z`,
		`<li>4 jobs</li>`, `<li class="bad">1 failed</li>`, `<li class="bad">1 at retention risk</li>`,
		`<li class="bad">1 with gaps</li>`, `<li class="bad">1 never succeeded</li>`, `<li>1 never run</li>`,
		`<li class="warn">2 with known losses</li>`, `<li class="warn">1 with quarantined records</li>`,
		`<li class="bad">1 tenant at 80 % or more of the Graph budget</li>`,
		`<p class="advice">A tenant at 80 % of its Graph budget falls behind on a busy day, and above 100 % every day: ` + status.BudgetAdvice + `.</p>`,
		`Coverage, last 35 days`,
		`<li><span class="lost">✗</span>known loss (Graph no longer served part of the day)</li>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}

	classes, rows := tableRows(body)
	failure := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(rep.Rows[3].LastRun.Error)
	wantRows := [][]string{
		{"contoso", "interactive-signins", "ok", "15m00s", "ok", "2026-11-20 11:45Z", "2026-11-20 12:00Z", "7", "1 recheck", "2", "85%"},
		{"contoso", "directory-audits", "ok", "15m00s", "ok", "2026-11-20 11:45Z", "2026-11-20 12:00Z", "3", "6h00m", "-", "85%"},
		{"fabrikam", "directory-audits", "-", "-", "-", "never run", "-", "-", "-", "-", "1%"},
		{"fabrikam", "provisioning", "failed (never succeeded)", "28d12h", "AT RISK edge 2026-10-21 12:00Z", "2026-10-23 00:00Z", "2026-11-20 12:00Z", "8", "-", "-", "1%"},
		// A row's error goes below it, across the table.
		{"Last error: " + failure},
	}
	wantClasses := []string{"", "", "", "failed has-detail", "failed detail"}
	if len(rows) != len(wantRows) {
		t.Fatalf("%d table rows, want %d:\n%s", len(rows), len(wantRows), body)
	}
	for i := range wantRows {
		if strings.Join(rows[i], " | ") != strings.Join(wantRows[i], " | ") || classes[i] != wantClasses[i] {
			t.Errorf("row %d (class %q):\n %q\nwant (class %q)\n %q", i, classes[i], rows[i], wantClasses[i], wantRows[i])
		}
	}

	// The flags: a known loss and quarantined records in the lost colour,
	// a tenant at 80 % of its budget in the risk colour.
	for _, want := range []string{`<span class="tag lost">1 recheck</span>`, `<span class="tag lost">6h00m</span>`,
		`<span class="tag lost">2</span>`, `<span class="tag risk">85%</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// The known losses, span by span.
	losses := body[strings.Index(body, `<table id="losses"`):]
	losses = losses[:strings.Index(losses, "</table>")]
	_, lossRows := tableRows(losses)
	wantLosses := [][]string{
		{"contoso", "interactive-signins", "missed recheck at 24h", "2026-11-19 00:00Z", "2026-11-19 06:00Z", "6h00m", statustest.RecheckMissedReason},
		{"contoso", "directory-audits", "never read", "2026-11-18 08:00Z", "2026-11-18 14:00Z", "6h00m", statustest.NeverReadReason},
	}
	escape := strings.NewReplacer("'", "&#39;")
	if len(lossRows) != len(wantLosses) {
		t.Fatalf("%d known-loss rows, want %d:\n%s", len(lossRows), len(wantLosses), losses)
	}
	for i, w := range wantLosses {
		w[6] = escape.Replace(w[6])
		if strings.Join(lossRows[i], " | ") != strings.Join(w, " | ") {
			t.Errorf("known loss %d:\n %q\nwant\n %q", i, lossRows[i], w)
		}
	}

	// The error's markup is text, never markup.
	if strings.Contains(body, "<script") || strings.Contains(body, "<b>bold") {
		t.Error("the last error's markup reached the page unescaped")
	}
	// Nothing is loaded from elsewhere: no scripts, images, stylesheets or
	// links out.
	for _, bad := range []string{" src=", "http://", "https://", "@import", "url(", `rel="stylesheet"`} {
		if strings.Contains(body, bad) {
			t.Errorf("page contains %q: it must need no external asset", bad)
		}
	}

	days := dayRE.FindAllStringSubmatch(body, -1)
	if len(days) != 4*35 {
		t.Fatalf("%d coverage cells, want 4 streams × 35 days", len(days))
	}
	gaps, lost := 0, 0
	for _, d := range days {
		if d[1] == "lost" {
			lost++
			if d[2] != "2026-11-18: 13 records, lost" {
				t.Errorf("lost cell titled %q, want the 18th with 13 records (21 less the 8 of six hours never read)", d[2])
			}
		}
		if d[1] == "gap" {
			gaps++
			if d[2] != "2026-11-19: 70 records, gap" {
				t.Errorf("gap cell titled %q, want the 19th with 70 records (72 − 3 in the lost p000 + 1 in p001)", d[2])
			}
		}
	}
	if gaps != 1 || lost != 1 {
		t.Errorf("%d gap cells and %d lost, want 1 of each", gaps, lost)
	}
	if got := days[34][2]; got != "2026-11-20: 36 records, partial" {
		t.Errorf("contoso/interactive-signins today = %q", got)
	}

	// The 35 days run from 17 October to 20 November: each grid names
	// October before its first day and November before the 1st.
	for _, grid := range gridRE.FindAllString(body, -1) {
		months := monthRE.FindAllStringSubmatch(grid, -1)
		if len(months) != 2 || months[0][1] != "Oct" || months[1][1] != "Nov" || months[0][2] != "2026" {
			t.Errorf("month labels %q, want Oct and Nov 2026", months)
			continue
		}
		if !strings.Contains(grid, `<span>2026</span></li>
<li class="complete" title="2026-11-01:`) && !strings.Contains(grid, `<span>2026</span></li>
<li class="none" title="2026-11-01:`) {
			t.Errorf("November's label is not just before the 1st:\n%s", grid)
		}
		if first := dayRE.FindStringSubmatch(grid); first == nil || first[2][:10] != "2026-10-17" ||
			strings.Index(grid, months[0][0]) > strings.Index(grid, first[0]) {
			t.Errorf("October's label is not before the first day:\n%s", grid)
		}
	}
}

var (
	gridRE  = regexp.MustCompile(`(?s)<ul class="grid">.*?</ul>`)
	monthRE = regexp.MustCompile(`<li class="month" aria-hidden="true"><b>([A-Z][a-z]{2})</b><span>(\d{4})</span></li>`)
)

package app_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/entra-archiver/entra-archiver/internal/app"
	"github.com/entra-archiver/entra-archiver/internal/status"
	"github.com/entra-archiver/entra-archiver/internal/status/statustest"
	"github.com/entra-archiver/entra-archiver/internal/testenv"
)

// statusT0 is when the fixture's last runs happened.
var statusT0 = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// newStatusApp wires an app over the status fixture's archive, its clock
// stopped at the fixture's now.
func newStatusApp(t *testing.T) (*app.App, *statustest.Fixture) {
	t.Helper()
	f := statustest.Build(t, statusT0)
	a, err := app.New(context.Background(), app.Options{Config: f.Config, Clock: func() time.Time { return f.Now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a, f
}

func doRequest(t *testing.T, h http.Handler, method, path string) (int, http.Header, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, rec.Result().Header, string(body)
}

// TestHandlerServesStatus: the app's status is the report of its configured
// jobs, served at / beside the other endpoints.
func TestHandlerServesStatus(t *testing.T) {
	a, f := newStatusApp(t)
	rep, err := a.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := status.Collect(context.Background(), f.Options())
	if err != nil {
		t.Fatal(err)
	}
	var got, wantText strings.Builder
	if err := status.WriteText(&got, rep); err != nil {
		t.Fatal(err)
	}
	if err := status.WriteText(&wantText, want); err != nil {
		t.Fatal(err)
	}
	if got.String() != wantText.String() {
		t.Errorf("app status\n%s\nwant\n%s", got.String(), wantText.String())
	}

	h := a.Handler()
	code, header, body := doRequest(t, h, http.MethodGet, "/")
	if code != http.StatusOK || header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %q", code, header.Get("Content-Type"))
	}
	for _, s := range []string{"<td>interactive-signins</td>", "<td>provisioning</td>", "Generated 2026-11-20 12:00Z", "&lt;script&gt;"} {
		if !strings.Contains(body, s) {
			t.Errorf("status page lacks %s", s)
		}
	}
	for _, tc := range []struct {
		method, path string
		code         int
		body         string
	}{
		{http.MethodGet, "/healthz", http.StatusOK, "ok\n"},
		{http.MethodGet, "/readyz", http.StatusOK, "ready\n"},
		{http.MethodGet, "/metrics", http.StatusOK, "entra_archiver_"},
		{http.MethodGet, "/index.html", http.StatusNotFound, ""},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, ""},
	} {
		code, _, body := doRequest(t, h, tc.method, tc.path)
		if code != tc.code || !strings.Contains(body, tc.body) {
			t.Errorf("%s %s = %d %.80q, want %d with %q", tc.method, tc.path, code, body, tc.code, tc.body)
		}
	}
}

// chromiumPath is where Debian's chromium package puts the browser.
const chromiumPath = "/usr/bin/chromium"

// TestStatusPageInChromium loads the status page from the real app handler
// in headless Chromium, on a desktop and on a phone-sized screen: the rows
// show, nothing is fetched from elsewhere, the page itself never scrolls
// sideways on a phone (the table scrolls in its box, the grid wraps), and
// full-page screenshots land in the test's temporary folder.
func TestStatusPageInChromium(t *testing.T) {
	testenv.Tool(t, chromiumPath, "install Debian's chromium (apt-get install chromium)")
	a, _ := newStatusApp(t)
	srv := httptest.NewServer(a.Handler())
	defer srv.Close()

	// A bound on a hung browser, not a performance goal.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	var (
		mu       sync.Mutex
		requests []string
	)
	err := chromedp.Listen(browser, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	load := func(width, height int64, opts ...chromedp.EmulateViewportOption) {
		t.Helper()
		if err := chromedp.Do(browser,
			chromedp.EmulateViewport(width, height, opts...),
			chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS("#jobs")),
		); err != nil {
			t.Fatalf("load the page at %dx%d: %v", width, height, err)
		}
	}
	eval := func(js string) bool {
		t.Helper()
		ok, err := chromedp.Run(browser, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return ok
	}

	rep, err := a.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	failure := rep.Rows[3].LastRun.Error
	if !strings.Contains(failure, statustest.FailureText) {
		t.Fatalf("the failed run's error %q lacks the source's", failure)
	}

	load(1280, 800)
	text, err := chromedp.Run(browser, chromedp.Text(chromedp.CSS("#jobs tbody")))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			rows = append(rows, line)
		}
	}
	wantRows := []string{
		"contoso\tinteractive-signins\tok\t15m00s\tok\t2026-11-20 11:45Z\t2026-11-20 12:00Z\t7\t1 recheck\t2\t85%",
		"contoso\tdirectory-audits\tok\t15m00s\tok\t2026-11-20 11:45Z\t2026-11-20 12:00Z\t3\t6h00m\t-\t85%",
		"fabrikam\tdirectory-audits\t-\t-\t-\tnever run\t-\t-\t-\t-\t1%",
		"fabrikam\tprovisioning\tfailed (never succeeded)\t28d12h\tAT RISK edge 2026-10-21 12:00Z\t2026-10-23 00:00Z\t2026-11-20 12:00Z\t8\t-\t-\t1%",
		"Last error: " + failure,
	}
	if strings.Join(rows, "\n") != strings.Join(wantRows, "\n") {
		t.Errorf("visible table rows:\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(wantRows, "\n"))
	}
	if !eval(`document.querySelectorAll("ul.grid li:not(.month)").length === 4*35 && document.querySelectorAll("script").length === 0`) {
		t.Error("want 4 × 35 coverage cells and no script element (the error's markup must stay text)")
	}
	// October's label before the first day, November's before the 1st, on
	// the same line as the day that follows (a label never ends a line).
	if !eval(`[...document.querySelectorAll("ul.grid")].every(g => {
		const m = [...g.querySelectorAll("li.month")];
		return m.length === 2 && m[0].textContent === "Oct2026" && m[1].textContent === "Nov2026" &&
			m[1].nextElementSibling.title.startsWith("2026-11-01") &&
			m.every(l => l.nextElementSibling.offsetTop === l.offsetTop && l.offsetWidth > 0);
	})`) {
		t.Error("want each coverage grid to name October and November before their first days")
	}
	pageScreenshot(t, browser, "status-desktop.png", 1280)

	load(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	if !eval(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Error("on a phone the page scrolls sideways; only the table may")
	}
	if !eval(`(e => e.scrollWidth > e.clientWidth)(document.querySelector(".scroll"))`) {
		t.Error("on a phone the jobs table does not scroll in its box")
	}
	if !eval(`(l => l[l.length-1].offsetTop > l[0].offsetTop)(document.querySelectorAll("ul.grid li"))`) {
		t.Error("on a phone the coverage grid does not wrap")
	}
	pageScreenshot(t, browser, "status-phone.png", 390*2)

	mu.Lock()
	defer mu.Unlock()
	if len(requests) == 0 {
		t.Fatal("saw no request at all")
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page fetched %s: it must need nothing but itself", u)
		}
	}
}

// pageScreenshot writes a full-page PNG of the current page into the test's
// temporary folder and checks it is an image of the page at that width.
var updateScreenshot = flag.Bool("update-screenshot", false, "write the status page screenshots to docs/")

func pageScreenshot(t *testing.T, browser context.Context, name string, width int) {
	t.Helper()
	shot, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", name, err)
	}
	// The page is taller than one screen (4 rows and 4 grids of 35 days)
	// and not blank (a blank PNG compresses to almost nothing).
	if cfg.Width != width || cfg.Height < cfg.Width/2 || len(shot) < 20_000 {
		t.Errorf("%s: %dx%d, %d bytes; want %d pixels wide, a full page, not blank", name, cfg.Width, cfg.Height, len(shot), width)
	}
	path := filepath.Join(t.TempDir(), name)
	if *updateScreenshot && name == "status-desktop.png" {
		// The README shows the desktop page: go test ./internal/app
		// -run Chromium -args -update-screenshot rewrites it.
		path = filepath.Join("..", "..", "docs", name)
	}
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%dx%d)", path, cfg.Width, cfg.Height)
}

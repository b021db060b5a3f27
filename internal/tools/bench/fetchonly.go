package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/graph"
)

// The fetch-only baseline runs as a child of the bench (the bench binary or
// test binary started again with childEnv set), so its CPU and memory are
// measured the same way as the archiver's.
const (
	childEnv     = "ENTRA_ARCHIVER_BENCH_CHILD"
	childFetch   = "fetch-only"
	fetchURLEnv  = "BENCH_FETCH_URL"
	fetchAuthEnv = "BENCH_FETCH_TOKEN_FILE"
)

// Child runs the bench's child role when this process was started as one.
// Call it first thing in main (and TestMain): when ok, exit with code.
func Child() (code int, ok bool) {
	if os.Getenv(childEnv) != childFetch {
		return 0, false
	}
	res, err := fetchOnly(context.Background(), os.Getenv(fetchURLEnv), os.Getenv(fetchAuthEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetch-only:", err)
		return 1, true
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1, true
	}
	return 0, true
}

// fetchResult is what the fetch-only child reports.
type fetchResult struct {
	Pages int   `json:"pages"`
	Bytes int64 `json:"bytes"`
}

// fetchOnly follows every nextLink from first and discards the bodies. It
// trusts the CAs in SSL_CERT_FILE, as the archiver does.
func fetchOnly(ctx context.Context, first, tokenFile string) (fetchResult, error) {
	var res fetchResult
	token, err := os.ReadFile(tokenFile)
	if err != nil {
		return res, err
	}
	auth := "Bearer " + strings.TrimSpace(string(token))
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: false,
	}}
	buf := make([]byte, 0, 4<<20)
	for link := first; link != ""; {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
		if err != nil {
			return res, err
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Prefer", "include-unknown-enum-members")
		resp, err := client.Do(req)
		if err != nil {
			return res, err
		}
		buf, err = readAll(resp.Body, buf[:0])
		resp.Body.Close()
		if err != nil {
			return res, err
		}
		if resp.StatusCode != http.StatusOK {
			return res, fmt.Errorf("GET page %d: status %d", res.Pages+1, resp.StatusCode)
		}
		res.Pages++
		res.Bytes += int64(len(buf))
		if link, err = nextLink(buf); err != nil {
			return res, fmt.Errorf("page %d: %w", res.Pages, err)
		}
	}
	return res, nil
}

func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// nextLink finds the page's @odata.nextLink without decoding the page: the
// least work a client can do and still page.
func nextLink(body []byte) (string, error) {
	const key = `"@odata.nextLink":`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return "", nil
	}
	rest := body[i+len(key):]
	if bytes.HasPrefix(rest, []byte("null")) {
		return "", nil // Graph's other way of saying "last page"
	}
	end := 1
	for end < len(rest) && rest[end] != '"' {
		if rest[end] == '\\' {
			end++
		}
		end++
	}
	if end >= len(rest) {
		return "", errors.New("unterminated nextLink")
	}
	var link string
	if err := json.Unmarshal(rest[:end+1], &link); err != nil {
		return "", fmt.Errorf("nextLink: %w", err)
	}
	return link, nil
}

// firstPageURL is the first request of a query of window w of st, as the
// archiver sends it.
func firstPageURL(root string, st audit.Stream, w audit.Window) string {
	return root + "/" + st.APIVersion + "/" + st.Resource + "?$filter=" +
		url.PathEscape(graph.WindowFilter(st, w, "")) + "&$top=1000"
}

// runFetchOnly runs the fetch-only baseline as a child of self (the running
// executable).
func runFetchOnly(ctx context.Context, self, first, tokenFile, caFile string) (fetchResult, Usage, error) {
	var res fetchResult
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = []string{childEnv + "=" + childFetch, fetchURLEnv + "=" + first, fetchAuthEnv + "=" + tokenFile,
		"SSL_CERT_FILE=" + caFile, "PATH=" + os.Getenv("PATH")}
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	u, err := measure(cmd, 0)
	if err != nil {
		return res, u, err
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return res, u, fmt.Errorf("fetch-only output %q: %w", out.String(), err)
	}
	return res, u, nil
}

package graph

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/egress"
)

// maxEmptyPages is how many pages in a row may serve no record at all and
// still link to another before the window's paging counts as broken (issue
// 13). Graph's paging is known to misbehave (GRAPH-NOTES.md "Requests and
// responses": it stops early, or returns different totals on retry), and a
// window that pages on through nothing spends the tenant's budget for
// nothing; re-issued (split), it gets a fresh chance.
const maxEmptyPages = 50

// Defaults of Options.
const (
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxAttempts    = 10
	DefaultPageSize       = 1000
	// DefaultMaxPageBytes bounds one page as read (decompressed). A page of
	// 1,000 sign-ins is a few MiB; the bound keeps a hostile or broken
	// endpoint (a 255 KB gzip page inflates to 753 MiB) from filling memory.
	DefaultMaxPageBytes = 64 << 20
)

// Options configure a Source for one tenant.
type Options struct {
	TenantID string
	// ClientID names the app in error messages only.
	ClientID string
	// GraphEndpoint is the root URL without version or trailing slash, e.g.
	// https://graph.microsoft.com.
	GraphEndpoint string
	Credential    azcore.TokenCredential
	// Scope defaults to GraphEndpoint + "/.default".
	Scope string
	// Tenant is this tenant's budget, shared by its streams. Required.
	Tenant *Pacer
	// App is the app's budget across tenants. Required.
	App *Pacer
	// Transport sends the requests; nil means egress.Client(). Either way
	// redirects are never followed (package egress).
	Transport policy.Transporter
	// RequestTimeout bounds one attempt, reading the body included.
	// Default 60s.
	RequestTimeout time.Duration
	// MaxAttempts bounds the attempts at one page. Default 10.
	MaxAttempts int
	// PageSize is the $top of each query. Default 1000 (Graph's maximum).
	PageSize int
	// MaxPageBytes bounds the body of one page as read, after decompression
	// (key graph.max_page_bytes). Default DefaultMaxPageBytes.
	MaxPageBytes int64
	// Logger is named per component by the caller; nil means zap.NewNop().
	Logger *zap.Logger
	// Observer receives metrics events; nil means none.
	Observer Observer
	// Rand returns jitter in [0, 1); nil means math/rand/v2.
	Rand func() float64
}

// Observer receives one event per Graph request and per throttled answer.
// It is called from Fetch's goroutine and must be safe for concurrent use
// when one Source serves several streams at once.
type Observer interface {
	// Request reports an attempt's HTTP status, 0 for a transport error
	// (reset, timeout, truncated body).
	Request(stream string, status int)
	// Throttled reports a 429 and how long the tenant now waits.
	Throttled(stream string, retryAfter time.Duration)
}

// Source reads activity logs from Microsoft Graph. It implements
// audit.Source and is safe for concurrent use by several streams.
type Source struct {
	pipeline    runtime.Pipeline
	endpoint    *url.URL
	root        string
	tenantID    string
	clientID    string
	tenant      *Pacer
	maxAttempts int
	pageSize    int
	maxPage     int64
	log         *zap.Logger
	observer    Observer
	rand        func() float64
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	tenantFacts
	// preferUnconfirmed: an answer lacked Preference-Applied (logged once).
	preferUnconfirmed atomic.Bool
}

var (
	_ audit.Source      = (*Source)(nil)
	_ audit.ServerClock = (*Source)(nil)
	_ audit.Licence     = (*Source)(nil)
)

// New checks the options and builds the request pipeline. It does not
// contact Graph.
func New(o Options) (*Source, error) {
	switch {
	case o.TenantID == "":
		return nil, errors.New("graph: tenant ID is required")
	case o.Credential == nil:
		return nil, errors.New("graph: credential is required")
	case o.Tenant == nil || o.App == nil:
		return nil, errors.New("graph: tenant and app pacers are required")
	}
	root := strings.TrimRight(o.GraphEndpoint, "/")
	endpoint, err := url.Parse(root)
	if err != nil || endpoint.Host == "" {
		return nil, fmt.Errorf("graph: endpoint %q is not an absolute URL", o.GraphEndpoint)
	}
	if !strings.EqualFold(endpoint.Scheme, "https") {
		return nil, fmt.Errorf("graph: endpoint %q must use https: the bearer token must not travel in clear text", o.GraphEndpoint)
	}
	scope := o.Scope
	if scope == "" {
		scope = root + "/.default"
	}
	timeout := o.RequestTimeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	s := &Source{
		endpoint:    endpoint,
		root:        root,
		tenantID:    o.TenantID,
		clientID:    o.ClientID,
		tenant:      o.Tenant,
		maxAttempts: o.MaxAttempts,
		pageSize:    o.PageSize,
		maxPage:     o.MaxPageBytes,
		log:         o.Logger,
		observer:    o.Observer,
		rand:        o.Rand,
		now:         time.Now,
		sleep:       sleepContext,
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	if s.pageSize <= 0 {
		s.pageSize = DefaultPageSize
	}
	if s.maxPage <= 0 {
		s.maxPage = DefaultMaxPageBytes
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.rand == nil {
		s.rand = rand.Float64
	}
	bearer := runtime.NewBearerTokenPolicy(credential{o.Credential}, []string{scope}, nil)
	s.pipeline = runtime.NewPipeline("entra-archiver", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{bearer, pacingPolicy{o.Tenant, o.App}, timeoutPolicy(timeout)},
	}, &policy.ClientOptions{
		// Fetch retries whole attempts (request, body, parse) itself.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Transport: egress.Transport(o.Transport, egress.MaxBody(s.maxPage)),
	})
	return s, nil
}

// Fetch queries window w of stream st (with filter ANDed to the window
// filter) and calls page for each page Graph serves, in Graph's order, with
// the page's records inside w and the records it cannot archive (no id or
// time: see decodeValues). page is not called for a page with neither.
// See audit.Source for the contract.
func (s *Source) Fetch(ctx context.Context, st audit.Stream, w audit.Window, filter string, page func(audit.Page) error) error {
	if w.Empty() {
		return nil
	}
	rq := request{stream: st, window: w, filter: WindowFilter(st, w, filter)}
	link := collectionURL(s.root, st, rq.filter, s.pageSize)
	empty := 0 // pages in a row that served nothing but a nextLink
	for rq.pageNo = 1; ; rq.pageNo++ {
		pg, err := s.fetchPage(ctx, rq, link)
		if err != nil {
			return err
		}
		if len(pg.records) > 0 || len(pg.rejects) > 0 {
			if err := page(audit.Page{Records: pg.records, Rejects: pg.rejects, Served: pg.served}); err != nil {
				return err
			}
		}
		if pg.next == "" {
			return nil
		}
		empty++
		if pg.served > 0 {
			empty = 0
		}
		if empty > maxEmptyPages {
			return fmt.Errorf("stream %s window %s page %d: %w: %d pages in a row served no record yet linked to another",
				st.Name, w, rq.pageNo, audit.ErrPagingFailed, empty)
		}
		if err := s.checkNextLink(pg.next, link); err != nil {
			return fmt.Errorf("stream %s window %s page %d: %w", st.Name, w, rq.pageNo, err)
		}
		link = pg.next
		rq.next = true
	}
}

// checkNextLink refuses a nextLink that would send the bearer token to
// another host, or that points back at the page it came from.
func (s *Source) checkNextLink(next, current string) error {
	u, err := url.Parse(next)
	if err != nil {
		return fmt.Errorf("%w: unusable nextLink: %w", audit.ErrPagingFailed, err)
	}
	if !u.IsAbs() || u.Host == "" {
		return fmt.Errorf("%w: nextLink is not an absolute URL", audit.ErrPagingFailed)
	}
	if !strings.EqualFold(u.Scheme, s.endpoint.Scheme) || !sameHost(u, s.endpoint) {
		return fmt.Errorf("refusing nextLink to %s://%s: it is not the Graph endpoint %s", u.Scheme, u.Host, s.root)
	}
	if next == current {
		return fmt.Errorf("%w: nextLink repeats the page it came from", audit.ErrPagingFailed)
	}
	return nil
}

func sameHost(a, b *url.URL) bool {
	return strings.EqualFold(a.Hostname(), b.Hostname()) && effectivePort(a) == effectivePort(b)
}

func effectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "http") {
		return "80"
	}
	return "443"
}

// fetchPage gets and decodes one page, retrying transient failures.
func (s *Source) fetchPage(ctx context.Context, rq request, link string) (page, error) {
	refreshed, t := false, tally{}
	rq.sighted = sightings{}
	for attempt := 1; ; attempt++ {
		pg, f := s.attempt(ctx, rq, link, attempt)
		if f == nil {
			return pg, nil
		}
		if err := ctx.Err(); err != nil {
			return page{}, fmt.Errorf("stream %s window %s page %d: %w", rq.stream.Name, rq.window, rq.pageNo, err)
		}
		if f.unauthorized && !refreshed {
			// Usually the token expired between leaving the cache and
			// reaching Graph (azcore uses a cached token until its last
			// instant); the bearer policy dropped it on the 401, so one
			// more attempt carries a fresh one. A token Graph refuses for
			// good is refused again, and then the error stands.
			refreshed = true
			continue
		}
		if !f.retry {
			return page{}, f.err
		}
		t.attempts = attempt
		t.add(f)
		if err := s.giveUp(rq, t, f); err != nil {
			return page{}, err
		}
		delay := f.retryAfter
		if !f.hasAfter {
			delay = backoff(attempt, s.rand())
		}
		fields := []zap.Field{zap.String("stream", rq.stream.Name), zap.Int("page", rq.pageNo),
			zap.Int("attempt", attempt), zap.Int("status", f.status), zap.Duration("delay", delay), zap.Error(f.err)}
		if f.status == http.StatusTooManyRequests {
			// The tenant's budget is spent: every stream of the tenant waits.
			s.tenant.Block(s.now().Add(delay))
			if s.observer != nil {
				s.observer.Throttled(rq.stream.Name, delay)
			}
			s.log.Warn("graph throttled", fields...)
			continue
		}
		msg := "graph request failed, retrying"
		if f.licence {
			msg = "graph answered the licence 403 to a licensed tenant, retrying"
		}
		s.log.Warn(msg, fields...)
		if err := s.sleep(ctx, delay); err != nil {
			return page{}, fmt.Errorf("stream %s window %s page %d: %w", rq.stream.Name, rq.window, rq.pageNo, err)
		}
	}
}

package graphsim

import (
	"crypto/x509"
	"fmt"
	"regexp"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Options configure a simulated Graph server.
type Options struct {
	Tenants []TenantConfig
	// Now is the clock for event time, visibility, retention, live
	// generation, token expiry and Graph's minimum allowed time, and what
	// responses say in their Date header; default time.Now.
	Now func() time.Time
	// Addr is the listen address; default "127.0.0.1:0".
	Addr string
	// Dir is where the CA file is written; default a temp dir removed on Close.
	Dir string
	// AppThrottle is the per-app limit across all tenants (Graph: 122 per
	// 10s); nil means none.
	AppThrottle *Throttle
	// TrackServed remembers every record version sent in a complete 200
	// response, and how it was rendered, for Tenant.Served and
	// Tenant.ServedRejects.
	TrackServed bool
	// Pretty indents responses; clients must then compact records themselves.
	Pretty bool
	// Logf, when set, receives one line per request.
	Logf func(format string, args ...any)
}

// TenantConfig describes one simulated tenant and the app registered in it.
type TenantConfig struct {
	// ID is the tenant GUID, ClientID the app id and ClientSecret the secret
	// the token endpoint accepts for it ("" for none).
	ID, ClientID, ClientSecret string
	// ClientCertificates are the certificates registered on the app: the
	// token endpoint accepts a client assertion signed with one's key.
	ClientCertificates []*x509.Certificate
	// FederatedIssuers are the app's federated identity credentials: the
	// token endpoint accepts their tokens as client assertions (workload
	// identity).
	FederatedIssuers []FederatedIssuer
	// ManagedIdentity makes the app a managed identity whose tokens the
	// server's managed-identity endpoint issues.
	ManagedIdentity ManagedIdentityKind
	// Free tenants have no P1/P2 licence: sign-ins and provisioning answer
	// 403 and retention defaults to 7 days.
	Free bool
	// Cloud is the national cloud the tenant lives in: "" or "public",
	// "usgov", "usgov-dod" or "china". Its Graph answers only the
	// collections the cloud has (cloudCollections); the others are a 400
	// "Resource not found for the segment '…'.".
	Cloud string
	// MissingPermissions lists application permissions the app lacks, e.g.
	// {"AuditLog.Read.All"}; Graph then answers 403 naming them.
	MissingPermissions []string
	// Seed makes the content deterministic.
	Seed int64
	// Volume is records per hour of event time, per stream name (DESIGN.md
	// names); a stream that is absent has no records.
	Volume map[string]float64
	// Epoch is the generation origin: records exist from Epoch on, up to
	// Now(), so data keeps growing as the clock moves (live mode). Default
	// Now() - 31 days, truncated to the hour.
	Epoch time.Time
	// Until, when set, freezes the tenant: no record has an event time at or
	// after it.
	Until time.Time
	// Retention hides records older than this; default 30 days (7 when Free).
	Retention time.Duration
	// Late delays the visibility of a fraction of the records.
	Late Late
	// LateTail makes a few records later still: its Fraction of the records
	// become visible after event time plus a delay in [Min, Max], past a
	// 24 h recheck (staff say sign-ins "can take up to 24 hours", users
	// report more: GRAPH-NOTES.md "Retention and latency"). A record drawn by
	// both Late and LateTail takes the longer delay. The zero value means
	// 0.2 % between 20 h and 30 h, which a 72 h recheck catches; a negative
	// Fraction means none.
	LateTail Late
	// Republish is the fraction of records served twice: an identical second
	// copy becomes visible later, as when Microsoft re-publishes a batch.
	Republish float64
	// Revise is the fraction of records revised later (same id, changed
	// content); a query then returns only the newest version.
	Revise float64
	// RepublishDelay bounds when a re-published copy appears after the
	// record became visible (default 10 min to 3 h, as seen on Graph);
	// ReviseDelay bounds the gap before each revision (default 5 to 120 min:
	// MFA details are aggregated for up to 2 h). Seconds-scale tests shrink
	// them.
	RepublishDelay, ReviseDelay Delay
	// BigEvery makes every Nth record larger than 100 KB; 0 means the default
	// 5000, -1 never.
	BigEvery int
	// NoTimeEvery serves about one record in N of each stream with its time
	// field null or missing, and NoIDEvery one with its id null or missing
	// (issue 13: one odd record must not stall a stream). Such a record is
	// still served by every query whose window holds its hidden event time;
	// ground truth lists it under Rejected, not Visible. 0 means one in
	// 20,000 and one in 100,000; -1 never.
	NoTimeEvery, NoIDEvery int
	// NotJSONEvery serves about one record in N with a comma before its
	// closing brace, as some of Graph's published examples are written
	// (GRAPH-NOTES.md "Record identity"): the page is whole but that record
	// is not valid JSON, so the archiver must quarantine it and archive the
	// rest. Ground truth lists it under Rejected. 0 (the default) never:
	// production pages have not been reported to carry one.
	NotJSONEvery int
	// Throttle is the per-tenant limit (Graph: 5 per 10s); nil means none.
	Throttle *Throttle
	// Faults injects transport and paging faults into Graph requests.
	Faults Faults
	// TokenLifetime is the access-token lifetime; default 1h.
	TokenLifetime time.Duration

	// Graph's harsher habits (doc.go lists them; Cloud, LateTail,
	// NoTimeEvery and NoIDEvery above are more): on by default, a negative
	// value or the bool turns one off.

	// MinimumTimeAge places Graph's minimum allowed time (GRAPH-NOTES.md
	// "Minimum allowed time"): a query whose lower time bound (a ge, gt or
	// eq literal on the time field) lies before midnight UTC this long
	// before Now is answered 400, its nextLinks too. 0 means Graph's 30
	// days; a negative value accepts any bound.
	MinimumTimeAge time.Duration
	// WideQuery is how many records a query's time span may hold before its
	// first page (a request without $skiptoken) answers 504 Gateway
	// Timeout, the same on every retry (GRAPH-NOTES.md "Wide queries time
	// out"); nextLinks are not affected. The span counts every record of the
	// stream between the query's time bounds, within retention and up to
	// now, whatever the rest of the filter keeps: that is what Graph scans.
	// 0 means 250,000; -1 never.
	WideQuery int
	// LicenceFlake is the probability that a sign-in or provisioning request
	// of a licensed tenant is refused with the premium-licence 403 anyway,
	// as Graph does now and then, mid-paging too (GRAPH-NOTES.md
	// "Permissions and licences"). Which requests are refused follows from
	// Faults.Seed and the request number. A tenant flakes only once it has
	// served a 200 to a sign-in or provisioning request, so a deployment's
	// first request meets the licence verdict it deserves. 0 means 1 %; a
	// negative value never.
	LicenceFlake float64
	// NoNullNextLink makes the last page always leave @odata.nextLink out.
	// By default about half of last pages carry "@odata.nextLink":null
	// instead, which a client must read as the end (issue 13).
	NoNullNextLink bool
}

// Late makes Fraction of the records visible only after event time plus a
// delay drawn uniformly from [Min, Max]; the others are visible at once.
type Late struct {
	Fraction float64
	Min, Max time.Duration
}

// Delay is a range [Min, Max] a delay is drawn from uniformly.
type Delay struct{ Min, Max time.Duration }

func (d Delay) or(def Delay) Delay {
	if d.Max <= 0 {
		return def
	}
	return d
}

// Throttle is a sliding-window request limit: at most Requests per Per.
// Throttled requests count against the window too, as on Graph.
type Throttle struct {
	Requests   int
	Per        time.Duration
	RetryAfter RetryAfterMode
}

// RetryAfterMode is how a 429 states when to retry.
type RetryAfterMode int

const (
	// RetryAfterFractional sends seconds with a fraction ("2.128").
	RetryAfterFractional RetryAfterMode = iota
	// RetryAfterInteger sends whole seconds, rounded up.
	RetryAfterInteger
	// RetryAfterNone sends a 429 without Retry-After.
	RetryAfterNone
	// RetryAfterDate sends an HTTP-date (RFC 9110), by the clock of the
	// response's Date header, rounded up to the second.
	RetryAfterDate
)

// Faults are per-request fault probabilities of a tenant's Graph requests.
// Which request fails is deterministic given Seed and the order of requests.
type Faults struct {
	Seed int64
	// Probabilities, each in [0, 1]; their sum should not exceed 1.
	ServerError, Reset, Truncate, Malformed, Slow, EarlyEnd, NextLink400 float64
	// SlowDelay is how long a slow response stalls before it is sent
	// (default 90s).
	SlowDelay time.Duration
	// Script lists exact faults by request number (1 is the tenant's first
	// Graph request); a scripted request ignores the probabilities.
	Script []ScriptedFault
}

// ScriptedFault makes the tenant's Request-th Graph request fail with Kind.
type ScriptedFault struct {
	Request int
	Kind    FaultKind
}

// FaultKind names an injected fault.
type FaultKind int

const (
	// FaultNone is no fault.
	FaultNone FaultKind = iota
	// FaultServerError answers 500, 502 or 503 with a Graph error body.
	FaultServerError
	// FaultReset resets the connection mid-headers or mid-body.
	FaultReset
	// FaultTruncate promises more bytes in Content-Length than it sends, then
	// closes the connection.
	FaultTruncate
	// FaultMalformed answers 200 with broken JSON.
	FaultMalformed
	// FaultSlow stalls for Faults.SlowDelay before answering.
	FaultSlow
	// FaultEarlyEnd answers a page without nextLink although more records
	// exist: paging "stops early".
	FaultEarlyEnd
	// FaultNextLink400 answers a nextLink request (one with $skiptoken) with
	// 400 once; on other requests it has no effect.
	FaultNextLink400
	// FaultThrottle answers 429 at once.
	FaultThrottle
)

var faultNames = [...]string{"none", "server-error", "reset", "truncate", "malformed", "slow", "early-end", "nextlink-400", "throttle"}

func (k FaultKind) String() string {
	if k >= 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Stats counts a tenant's traffic.
type Stats struct {
	// Requests is every Graph request attributed to the tenant (by its token).
	Requests int
	// Throttled is how many of them were answered 429.
	Throttled int
	// ByStatus counts responses by HTTP status; 0 counts connections reset
	// before a status line was sent.
	ByStatus map[int]int
	// TokenRequests counts token and discovery requests naming the tenant.
	TokenRequests int
	// MaxInWindow is the most Graph requests seen in any window of the
	// tenant's Throttle.Per (10s without a throttle), throttled ones included.
	MaxInWindow int
}

const (
	defaultRetention     = 30 * 24 * time.Hour
	freeRetention        = 7 * 24 * time.Hour
	defaultBigEvery      = 5000
	defaultNoTimeEvery   = 20_000
	defaultNoIDEvery     = 100_000
	defaultSlowDelay     = 90 * time.Second
	defaultTokenLifetime = time.Hour
	defaultEpochBack     = 31 * 24 * time.Hour
	defaultStatsWindow   = 10 * time.Second
	// defaultMinimumTimeAge is Graph's: midnight UTC 30 days back.
	defaultMinimumTimeAge = 30 * 24 * time.Hour
	// defaultWideQuery: Microsoft's advice is to start with three days and
	// narrow on timeouts. 250,000 records are three days of a tenant with
	// about 3,500 sign-ins an hour, so a mid-sized tenant's 3-day window
	// passes while a large tenant's day, or a month of a mid-sized one (a
	// query without time bounds), times out, as people pulling these logs
	// at scale report. It is also the portal's largest (audit) download.
	defaultWideQuery = 250_000
	// defaultLicenceFlake: "now and then" in reports; at 1 % a backfill of a
	// few hundred pages meets several.
	defaultLicenceFlake = 0.01
	// maxVolume keeps record spacing at 10 ticks (1µs) or more.
	maxVolume = 3.6e9
)

// orDefault resolves a count option: 0 means def, a negative value 0 (never).
func orDefault(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	}
	return n
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// validate reports the first configuration error of the tenant.
func (c *TenantConfig) validate() error {
	if !guidRE.MatchString(c.ID) {
		return fmt.Errorf("tenant %q: ID must be a GUID", c.ID)
	}
	if err := checkCloud(c.Cloud); err != nil {
		return fmt.Errorf("tenant %s: %w", c.ID, err)
	}
	if err := c.validateCredentials(); err != nil {
		return fmt.Errorf("tenant %s: %w", c.ID, err)
	}
	for name, v := range c.Volume {
		if _, ok := audit.StreamByName(name); !ok {
			return fmt.Errorf("tenant %s: unknown stream %q in Volume", c.ID, name)
		}
		if v < 0 || v > maxVolume {
			return fmt.Errorf("tenant %s: Volume[%s] = %g out of range [0, %g]", c.ID, name, v, float64(maxVolume))
		}
	}
	for _, f := range []float64{c.Late.Fraction, c.Republish, c.Revise, max(c.LicenceFlake, 0)} {
		if f < 0 || f > 1 {
			return fmt.Errorf("tenant %s: fractions must be in [0, 1]", c.ID)
		}
	}
	if c.Late.Min < 0 || c.Late.Max < c.Late.Min {
		return fmt.Errorf("tenant %s: Late needs 0 <= Min <= Max", c.ID)
	}
	if tail := c.LateTail; tail.Fraction >= 0 && (tail.Fraction > 1 || tail.Min < 0 || tail.Max < tail.Min) {
		return fmt.Errorf("tenant %s: LateTail needs Fraction <= 1 and 0 <= Min <= Max", c.ID)
	}
	if err := c.Throttle.validate(); err != nil {
		return fmt.Errorf("tenant %s: %w", c.ID, err)
	}
	return c.Faults.validate()
}

func (t *Throttle) validate() error {
	if t == nil {
		return nil
	}
	if t.Requests < 1 || t.Per <= 0 {
		return fmt.Errorf("throttle needs Requests >= 1 and Per > 0")
	}
	return nil
}

func (f *Faults) validate() error {
	for _, p := range []float64{f.ServerError, f.Reset, f.Truncate, f.Malformed, f.Slow, f.EarlyEnd, f.NextLink400} {
		if p < 0 || p > 1 {
			return fmt.Errorf("fault probabilities must be in [0, 1]")
		}
	}
	for _, s := range f.Script {
		if s.Request < 1 || s.Kind <= FaultNone || s.Kind > FaultThrottle {
			return fmt.Errorf("scripted fault %+v: need Request >= 1 and a known Kind", s)
		}
	}
	return nil
}

package graphsim

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/entra-archiver/entra-archiver/internal/audit"
)

// Tenant is one simulated tenant: its app registration, its streams of
// records and its traffic counters. Its methods are safe for concurrent use.
type Tenant struct {
	srv            *Server
	id             string
	clientID       string
	secret         string
	creds          credentials
	lifetime       time.Duration
	granted        []string // application permissions the app holds
	dir            *directory
	streams        map[string]*streamSim
	fixedRetention time.Duration // TenantConfig.Retention; 0 = licence default
	cloud          string        // a key of cloudCollections
	nullNextLink   bool          // last pages may say "@odata.nextLink":null
	minimumTimeAge time.Duration // 0 = no minimum allowed time
	wideQuery      int64         // 0 = first pages never time out
	licenceFlake   float64       // 0 = licensed tenants never get the licence 403

	mu        sync.Mutex
	free      bool
	premiumOK bool // a sign-in or provisioning request was answered 200
	throttle  *Throttle
	faults    Faults
	requests  int // Graph requests attributed so far; numbers faults
	throttled int
	byStatus  map[int]int
	tokens    int
	seen      *window                      // arrivals, for MaxInWindow and the tenant throttle
	served    map[string]map[servedKey]int // responses that delivered each version
}

// streamSim is one stream of one tenant.
type streamSim struct {
	stream audit.Stream
	tl     timeline
	vis    visibility
	gen    *recordGen
}

// servedKey identifies one rendering of one record version.
type servedKey struct {
	index   int64
	version int
	shape   shape
}

// permissions every collection needs: sign-ins need both (a documented
// known issue), the other collections AuditLog.Read.All.
const (
	permAuditLog  = "AuditLog.Read.All"
	permDirectory = "Directory.Read.All"
)

func newTenant(s *Server, cfg TenantConfig) *Tenant {
	now := s.now()
	epoch := cfg.Epoch
	if epoch.IsZero() {
		epoch = now.Add(-defaultEpochBack).UTC().Truncate(time.Hour)
	}
	t := &Tenant{
		srv:            s,
		id:             cfg.ID,
		clientID:       cfg.ClientID,
		secret:         cfg.ClientSecret,
		creds:          newCredentials(cfg),
		lifetime:       cfg.TokenLifetime,
		dir:            newDirectory(cfg.ID, cfg.Seed),
		streams:        map[string]*streamSim{},
		fixedRetention: cfg.Retention,
		cloud:          cloudName(cfg.Cloud),
		nullNextLink:   !cfg.NoNullNextLink,
		free:           cfg.Free,
		faults:         cfg.Faults,
		byStatus:       map[int]int{},
		served:         map[string]map[servedKey]int{},
	}
	if t.lifetime <= 0 {
		t.lifetime = defaultTokenLifetime
	}
	t.wideQuery = int64(orDefault(cfg.WideQuery, defaultWideQuery))
	switch {
	case cfg.LicenceFlake == 0:
		t.licenceFlake = defaultLicenceFlake
	case cfg.LicenceFlake > 0:
		t.licenceFlake = cfg.LicenceFlake
	}
	switch {
	case cfg.MinimumTimeAge == 0:
		t.minimumTimeAge = defaultMinimumTimeAge
	case cfg.MinimumTimeAge > 0:
		t.minimumTimeAge = cfg.MinimumTimeAge
	}
	for _, p := range []string{permAuditLog, permDirectory} {
		if !slices.Contains(cfg.MissingPermissions, p) {
			t.granted = append(t.granted, p)
		}
	}
	t.setThrottleLocked(cfg.Throttle)
	for _, st := range audit.Streams {
		salt := stringSalt(cfg.Seed, st.Name)
		ss := &streamSim{
			stream: st,
			tl:     newTimeline(salt, epoch, cfg.Until, cfg.Volume[st.Name]),
			vis: visibility{salt: salt, late: cfg.Late, tail: resolveLateTail(cfg.LateTail), republish: cfg.Republish, revise: cfg.Revise,
				republishDelay: cfg.RepublishDelay, reviseDelay: cfg.ReviseDelay},
		}
		ss.gen = newRecordGen(st, salt, &ss.tl, t.dir, oddities{cfg.BigEvery, cfg.NoTimeEvery, cfg.NoIDEvery, cfg.NotJSONEvery})
		t.streams[st.Name] = ss
	}
	return t
}

// SetThrottle replaces the per-tenant limit (nil removes it). The window of
// requests already seen is kept.
func (t *Tenant) SetThrottle(th *Throttle) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setThrottleLocked(th)
}

func (t *Tenant) setThrottleLocked(th *Throttle) {
	t.throttle = nil
	per := defaultStatsWindow
	if th != nil {
		c := *th
		t.throttle = &c
		per = c.Per
	}
	if t.seen == nil {
		t.seen = newWindow(per)
	} else {
		t.seen.setPer(per)
	}
}

// SetFaults replaces the fault configuration; request numbering continues.
func (t *Tenant) SetFaults(f Faults) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.faults = f
	t.faults.Script = slices.Clone(f.Script)
}

// SetFree switches the tenant's licence: a Free tenant answers 403 on
// sign-ins and provisioning and, unless Retention was configured, keeps 7
// days instead of 30.
func (t *Tenant) SetFree(free bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.free = free
}

// Stats returns a snapshot of the tenant's counters.
func (t *Tenant) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Stats{
		Requests:      t.requests,
		Throttled:     t.throttled,
		ByStatus:      maps.Clone(t.byStatus),
		TokenRequests: t.tokens,
		MaxInWindow:   t.seen.maxSeen(),
	}
}

// isFree reports the licence state.
func (t *Tenant) isFree() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.free
}

// retention is how far back records are still served.
func (t *Tenant) retention() time.Duration {
	if t.fixedRetention > 0 {
		return t.fixedRetention
	}
	if t.isFree() {
		return freeRetention
	}
	return defaultRetention
}

func (t *Tenant) countStatus(code int) {
	t.mu.Lock()
	t.byStatus[code]++
	t.mu.Unlock()
}

func (t *Tenant) countToken() {
	t.mu.Lock()
	t.tokens++
	t.mu.Unlock()
}

// markServed records the versions a response delivers (delta +1, before it
// is written, so a client that has read it finds them in Served) or failed
// to deliver after all (delta -1).
func (t *Tenant) markServed(stream string, keys []servedKey, delta int) {
	if !t.srv.opts.TrackServed || len(keys) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	set := t.served[stream]
	if set == nil {
		set = map[servedKey]int{}
		t.served[stream] = set
	}
	for _, k := range keys {
		if set[k] += delta; set[k] <= 0 {
			delete(set, k)
		}
	}
}

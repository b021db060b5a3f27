package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"go.uber.org/zap"

	"github.com/entra-archiver/entra-archiver/internal/archive"
	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/config"
	"github.com/entra-archiver/entra-archiver/internal/credential"
	"github.com/entra-archiver/entra-archiver/internal/graph"
)

// What `config check --online` checks.
const (
	CheckStorage = "storage" // write and delete a probe blob
	CheckState   = "state"   // write, rewrite, lease and delete a probe document in state.container
	CheckToken   = "token"   // get a Graph token for the tenant
	CheckQuery   = "query"   // a one-record query of a stream
)

// CheckResult is one line of the online check.
type CheckResult struct {
	Tenant string // config name; "" for the storage check
	Stream string // set for query checks
	Check  string // CheckStorage, CheckToken or CheckQuery
	OK     bool
	// Detail says what was verified or, on failure, what went wrong and
	// what to do about it. It never holds a secret.
	Detail string
}

// OnlineOptions are what CheckOnline needs besides the configuration.
type OnlineOptions struct {
	Logger *zap.Logger
	// Clock dates the queried window (the last 24 hours); nil = time.Now.
	Clock func() time.Time
	// GraphTransport and StorageClient are as in Options.
	GraphTransport policy.Transporter
	StorageClient  *azcore.ClientOptions
}

// onlineTimeout bounds the checks of one tenant, and the storage check (a
// managed identity that is not there can otherwise retry for minutes).
const onlineTimeout = 2 * time.Minute

// queryAttempts bounds the attempts at the one-record query: enough for a
// throttled or flaky answer, few enough to report a dead endpoint soon.
const queryAttempts = 3

// errProbeDone stops a query after its first page.
var errProbeDone = errors.New("first page received")

// CheckOnline proves the configuration works against the real services:
// it writes and deletes a probe blob {prefix}_probe/<random> (and, with
// state.container, a probe document there), and for every
// tenant gets a token and runs a one-record query of each of its streams
// (with the stream's filter) over the last 24 hours, within the configured
// rate limits. Tenants are checked concurrently; the results come in config
// order, storage first.
func CheckOnline(ctx context.Context, cfg *config.Config, o OnlineOptions) []CheckResult {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	results := make([][]CheckResult, len(cfg.Tenants)+1)
	appPacer := graph.NewPacer(cfg.Graph.AppRateLimit.Requests, cfg.Graph.AppRateLimit.Per)
	var wg sync.WaitGroup
	wg.Add(len(cfg.Tenants) + 1)
	go func() {
		defer wg.Done()
		sctx, cancel := context.WithTimeout(ctx, onlineTimeout)
		defer cancel()
		results[0] = []CheckResult{checkStorage(sctx, cfg, o)}
		if cfg.State.Type == "storage" && cfg.State.Container != "" {
			results[0] = append(results[0], checkState(sctx, cfg, o))
		}
	}()
	for i, t := range cfg.Tenants {
		go func() {
			defer wg.Done()
			tctx, cancel := context.WithTimeout(ctx, onlineTimeout)
			defer cancel()
			results[i+1] = checkTenant(tctx, cfg, t, appPacer, o)
		}()
	}
	wg.Wait()
	var out []CheckResult
	for _, r := range results {
		out = append(out, r...)
	}
	return out
}

// checkStorage opens the configured storage and writes and deletes a probe
// blob. A failed delete does not fail the check: the archiver never deletes,
// and an immutable (WORM) container refuses it by design.
func checkStorage(ctx context.Context, cfg *config.Config, o OnlineOptions) CheckResult {
	res := CheckResult{Check: CheckStorage}
	st, err := OpenStorage(ctx, cfg, o.StorageClient, o.Logger)
	if err != nil {
		res.Detail = fmt.Sprintf("cannot open %s: %v", storageName(cfg.Storage), err)
		return res
	}
	name, body, err := probeBlob(st.Layout.Prefix)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	sum := sha256.Sum256(body)
	meta := map[string]string{archive.MetaSHA256: hex.EncodeToString(sum[:])}
	if err := st.Sink.Put(ctx, name, bytes.NewReader(body), int64(len(body)), meta); err != nil {
		res.Detail = fmt.Sprintf("cannot write to %s: %v", storageName(cfg.Storage), err)
		return res
	}
	res.OK = true
	res.Detail = fmt.Sprintf("wrote and deleted %s in %s", name, storageName(cfg.Storage))
	if err := st.Sink.Delete(ctx, name); err != nil {
		res.Detail = fmt.Sprintf("wrote %s in %s but could not delete it (%v); writing is what the archiver needs: delete the probe by hand, or when its immutability period ends",
			name, storageName(cfg.Storage), err)
	}
	return res
}

// checkState proves state.container takes what the state documents and the
// tenant leases need, which the archive container never has to allow: a
// document created, rewritten on its version and leased. The probe is
// deleted; a failed delete does not fail the check (the archiver never
// deletes there either).
func checkState(ctx context.Context, cfg *config.Config, o OnlineOptions) CheckResult {
	res := CheckResult{Check: CheckState}
	where := "state container " + cfg.State.Container
	account, err := azblobAccount(cfg.Storage.Azblob)
	if err != nil {
		res.Detail = fmt.Sprintf("cannot open %s: %v", where, err)
		return res
	}
	account.ClientOptions = o.StorageClient
	sink, err := openStateContainer(ctx, cfg.State, account, o.Logger)
	if err != nil {
		res.Detail = fmt.Sprintf("cannot open %s: %v", where, err)
		return res
	}
	name, body, err := probeBlob(cfg.Storage.Azblob.Prefix)
	if err != nil {
		res.Detail = err.Error()
		return res
	}
	version, err := sink.WriteDoc(ctx, name, body, "")
	if err == nil {
		_, err = sink.WriteDoc(ctx, name, body, version)
	}
	if err != nil {
		res.Detail = fmt.Sprintf("cannot write and rewrite a document in %s: %v", where, err)
		return res
	}
	lease, err := sink.Acquire(ctx, name, LeaseTTL)
	if err == nil {
		err = lease.Release(ctx)
	}
	if err != nil {
		res.Detail = fmt.Sprintf("wrote %s in %s but cannot lease it: %v", name, where, err)
		return res
	}
	res.OK = true
	res.Detail = fmt.Sprintf("wrote, rewrote, leased and deleted %s in %s", name, where)
	if err := sink.Delete(ctx, name); err != nil {
		res.Detail = fmt.Sprintf("wrote, rewrote and leased %s in %s but could not delete it (%v); delete the probe by hand", name, where, err)
	}
	return res
}

// probeBlob names and fills a probe blob below prefix.
func probeBlob(prefix string) (string, []byte, error) {
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", nil, fmt.Errorf("probe name: %w", err)
	}
	name := prefix + "_probe/" + hex.EncodeToString(id[:])
	return name, []byte("entra-archiver config check --online probe; safe to delete\n"), nil
}

func storageName(s config.Storage) string {
	if s.Type == "local" {
		return "folder " + s.Local.Path
	}
	where := "container " + s.Azblob.Container
	if s.Azblob.AccountURL != "" {
		where += " of " + s.Azblob.AccountURL
	}
	return where
}

// checkTenant gets a token and queries each stream of one tenant.
func checkTenant(ctx context.Context, cfg *config.Config, t config.Tenant, appPacer *graph.Pacer, o OnlineOptions) []CheckResult {
	token := CheckResult{Tenant: t.Name, Check: CheckToken}
	out := func(queries []CheckResult) []CheckResult { return append([]CheckResult{token}, queries...) }
	notRun := func(why string) []CheckResult {
		var rs []CheckResult
		for _, st := range t.Settings.Streams {
			rs = append(rs, CheckResult{Tenant: t.Name, Stream: st.Name, Check: CheckQuery, Detail: "not run: " + why})
		}
		return rs
	}
	cred, err := credential.New(t.Auth, credential.Target{
		TenantID: t.TenantID, AuthorityHost: t.AuthorityHost,
		DisableInstanceDiscovery: t.DisableInstanceDiscovery, Transport: o.GraphTransport,
	})
	if err == nil {
		_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{t.GraphEndpoint + "/.default"}})
	}
	if err != nil {
		token.Detail = credential.Explain(err, t.Auth, t.TenantID)
		return out(notRun("no token"))
	}
	token.OK = true
	token.Detail = "got a Graph token with the " + credential.Describe(t.Auth)

	src, err := graph.New(graph.Options{
		TenantID: t.TenantID, ClientID: t.Auth.ClientID, GraphEndpoint: t.GraphEndpoint, Credential: cred,
		Tenant: graph.NewPacer(t.Settings.RateLimit.Requests, t.Settings.RateLimit.Per), App: appPacer,
		Transport: o.GraphTransport, RequestTimeout: cfg.Graph.RequestTimeout, MaxPageBytes: cfg.Graph.MaxPageBytes,
		MaxAttempts: queryAttempts, PageSize: 1,
		Logger: o.Logger.Named("check").With(zap.String("tenant", t.Name)),
	})
	if err != nil {
		return out(notRun(err.Error()))
	}
	now := o.Clock().UTC().Truncate(time.Second)
	w := audit.Window{From: now.Add(-24 * time.Hour), To: now}
	var queries []CheckResult
	for _, st := range t.Settings.Streams {
		queries = append(queries, checkQuery(ctx, src, t, st, w))
	}
	return out(queries)
}

// checkQuery runs one stream's query over w and stops after the first page.
func checkQuery(ctx context.Context, src *graph.Source, t config.Tenant, st audit.Stream, w audit.Window) CheckResult {
	res := CheckResult{Tenant: t.Name, Stream: st.Name, Check: CheckQuery}
	found := 0
	err := src.Fetch(ctx, st, w, t.Settings.Filter[st.Name], func(pg audit.Page) error {
		found = len(pg.Records)
		return errProbeDone
	})
	switch {
	case err != nil && !errors.Is(err, errProbeDone):
		res.Detail = err.Error()
		if errors.Is(err, audit.ErrNoPremiumLicense) {
			res.Detail += "; or remove " + st.Name + " from the tenant's streams"
		}
	case found > 0:
		res.OK, res.Detail = true, "read a record of the last 24 hours"
	default:
		res.OK, res.Detail = true, "the query works; no records in the last 24 hours"
	}
	return res
}

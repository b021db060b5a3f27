package status

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entra-archiver/entra-archiver/internal/audit"
	"github.com/entra-archiver/entra-archiver/internal/layout"
)

// Streams a configuration no longer lists (a stream or tenant removed, a
// stream only backfilled) are still in the archive, and status shows them
// rather than hide what storage holds: found lists them from the tenant and
// stream folders ({prefix}{tenant}/{stream}/) and the state documents. Two
// delimiter listings per tenant and one of the state folder: nothing like a
// listing of every blob.

// found returns the jobs in storage that jobs does not list, described by
// o.Unlisted, in the order withFound merges them in.
func (c *collector) found(ctx context.Context) ([]Job, error) {
	have := map[jobKey]bool{}
	for _, j := range c.o.Jobs {
		have[jobKey{j.Tenant, j.Stream}] = true
	}
	seen := map[jobKey]bool{}
	var out []Job
	add := func(tenant, stream string) {
		k := jobKey{tenant, stream}
		if have[k] || seen[k] || !layout.ValidTenant(tenant) {
			return
		}
		if _, known := audit.StreamByName(stream); !known {
			return
		}
		seen[k] = true
		j := Job{Tenant: tenant, Stream: stream, Partition: audit.Hour}
		if c.o.Unlisted != nil {
			j = c.o.Unlisted(tenant, stream)
			j.Tenant, j.Stream = tenant, stream
		}
		j.Unlisted, j.Schedule = true, "" // it is not run
		out = append(out, j)
	}

	states, err := c.o.State.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	for _, s := range states {
		add(s.Tenant, s.Stream)
	}
	var tenants []string
	err = c.o.Sink.Folders(ctx, c.o.Layout.Prefix, func(name string) error {
		tenants = append(tenants, strings.TrimSuffix(strings.TrimPrefix(name, c.o.Layout.Prefix), "/"))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the tenants in storage: %w", err)
	}
	for _, tenant := range tenants {
		if !layout.ValidTenant(tenant) {
			continue // _state, _locks, _quarantine, _probe, or not the archiver's
		}
		dir := c.o.Layout.Prefix + tenant + "/"
		err := c.o.Sink.Folders(ctx, dir, func(name string) error {
			add(tenant, strings.TrimSuffix(strings.TrimPrefix(name, dir), "/"))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list the streams of %s in storage: %w", tenant, err)
		}
	}
	return out, nil
}

type jobKey struct{ tenant, stream string }

// withFound merges the found jobs into the configured ones: each after the
// last configured job of its tenant, the tenants the configuration does not
// name at the end, by name; streams in contract order.
func withFound(jobs, found []Job) []Job {
	if len(found) == 0 {
		return jobs
	}
	order := func(a, b Job) int {
		if a.Tenant != b.Tenant {
			return strings.Compare(a.Tenant, b.Tenant)
		}
		return streamIndex(a.Stream) - streamIndex(b.Stream)
	}
	found = slices.Clone(found)
	slices.SortFunc(found, order)
	out := make([]Job, 0, len(jobs)+len(found))
	for i, j := range jobs {
		out = append(out, j)
		if slices.ContainsFunc(jobs[i+1:], func(n Job) bool { return n.Tenant == j.Tenant }) {
			continue
		}
		for _, f := range found {
			if f.Tenant == j.Tenant {
				out = append(out, f)
			}
		}
	}
	for _, f := range found {
		if !slices.ContainsFunc(jobs, func(j Job) bool { return j.Tenant == f.Tenant }) {
			out = append(out, f)
		}
	}
	return out
}

func streamIndex(name string) int {
	return slices.IndexFunc(audit.Streams, func(s audit.Stream) bool { return s.Name == name })
}

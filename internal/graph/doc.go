// Package graph is the Microsoft Graph implementation of audit.Source: it
// queries the activity-log collections (auditLogs/signIns, directoryAudits,
// provisioning) one half-open window at a time over an azcore pipeline
// authenticated by an azidentity credential.
//
// Graph's request budget is the scarce resource (5 requests per 10 s per app
// and tenant, 122 per 10 s per app), so every attempt, retries included, waits
// for a slot from two Pacers: the tenant's, shared by its streams, and the
// app's, shared by all tenants. A 429 blocks the tenant's Pacer for the
// Retry-After so sibling streams back off too.
//
// Fetch owns retrying: azcore's retry policy is disabled and one attempt is
// the request, the full body read and the page parse, so truncated, reset
// and malformed responses are retried like 5xx answers. Permanent failures
// are translated into the sentinel errors of package audit with a message
// that says what to fix; no secret or token ever appears in them. What
// production Graph does is told apart from a fault (errors.go, edge.go):
// its minimum-time 400 (*audit.MinimumTimeError), a collection its cloud
// lacks (ErrNotInCloud), a first page too wide for it (ErrTimedOut), broken
// paging (ErrPagingFailed), and the licence 403 it answers now and then to
// tenants it has served sign-ins before (retried; see tenantFacts).
//
// Requests leave through package egress: a redirect is never followed (a
// 3xx ends the window with a permanent error naming the host it pointed
// at: Graph does not redirect, so something in between is not Graph), and
// a page is read through MaxPageBytes of decompressed body; a larger one
// ends the window's paging (ErrPagingFailed, not retried) so the job
// re-issues the window narrower (hostile.go).
//
// Records keep the bytes Graph sent: a page is validated in one pass and a
// record is only rewritten (compacted in place) when it holds insignificant
// whitespace. A record that is well-formed but has no readable id or event
// time is passed on as a reject for quarantine, never allowed to stall its
// stream; only a page that is not well-formed JSON is retried.
package graph

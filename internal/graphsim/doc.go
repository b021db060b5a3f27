// Package graphsim is a simulated Microsoft Graph activity-log API with its own
// Entra-like token endpoint, for tests, benchmarks and the demo.
//
// Microsoft Graph has no emulator, so graphsim reproduces the behaviour the
// archiver must survive (see GRAPH-NOTES.md): TLS with a self-signed CA, the
// OAuth client-credentials flow as azidentity performs it, Graph's error
// shapes, the filter rules of each collection, paging through opaque
// nextLinks, newest-first sign-ins and unsorted audits, late, re-published
// and revised records, retention, licence and permission errors, throttling
// with every Retry-After form (fractional and whole seconds, an HTTP-date, none), and scripted or random transport faults.
//
// Records are never stored. Record i of a tenant's stream is generated from
// the tenant seed, the stream and i alone, and its event time is a
// non-decreasing function of i, so a time window maps to an index range and a
// query at any instant costs only the records it returns. Visibility (when a
// record, its re-published copy and its revisions appear) is a function of i
// and the clock, which makes the ground-truth methods (Visible, AllVersions,
// Count, Rejected) exact: they answer what a complete query returns at a
// given instant.
//
// Paging follows Graph's habits: a full page always carries a nextLink, so
// the page after the last full one is empty; a page whose filter matches
// little may come back short or empty with a nextLink (a request examines at
// most 200,000 positions); nextLinks vary the path's case, the escaping of
// spaces and the place of the link in the body, and skiptokens are sealed
// cursors bound to the tenant and the query.
//
// Production Graph is less kind than a test would like, and graphsim is as
// unkind by default (GRAPH-NOTES.md has the facts). Each behaviour below is
// on unless turned off by its TenantConfig field, whose zero value is
// Graph's behaviour and whose negative value (or explicit bool) is off; the
// evolvable enums have no field, a client opts in by header:
//
//   - Minimum allowed time (MinimumTimeAge): a lower time bound before
//     midnight UTC 30 days back is a 400 with Graph's message, also on a
//     nextLink once midnight passes while paging. The Date header carries
//     the simulated clock, from which clients compute the edge.
//   - Wide queries time out (WideQuery): the first page of a query whose
//     time span holds more than 250,000 of the stream's records, whatever
//     the rest of its filter keeps, answers 504 on every attempt; nextLinks
//     of a query already begun are served.
//   - Intermittent licence 403 (LicenceFlake): a licensed tenant refuses 1 %
//     of its sign-in and provisioning requests with the premium-licence 403,
//     mid-paging too, once it has served one of them; a Free tenant refuses
//     them all.
//   - National clouds (Cloud): China has none of the activity-log
//     collections and answers 400 "Resource not found for the segment …";
//     cloudCollections is the availability table.
//   - A null nextLink (NoNullNextLink): about half of last pages carry
//     "@odata.nextLink":null instead of leaving it out.
//   - A late tail (LateTail): 0.2 % of the records appear 20 to 30 hours
//     after their event time, past a 24 h recheck; ground truth honours it.
//   - Evolvable enums: a few percent of sign-ins carry newer tokenIssuerType
//     and riskDetail members, served as "unknownFutureValue" unless the
//     request says Prefer: include-unknown-enum-members (then answered
//     Preference-Applied). Ground truth shows them as they are; Served
//     returns what was sent.
//   - Records without a time or an id (NoTimeEvery, NoIDEvery): about one
//     record in 20,000 of each stream has its time field null or missing,
//     one in 100,000 its id; each is served by the queries whose window
//     holds its hidden event time. Ground truth keeps them apart: Visible,
//     AllVersions, Count and Served list archivable records only, Rejected
//     and ServedRejects the others.
//   - Records that are not valid JSON (NotJSONEvery, off by default): a
//     comma before the closing brace, as in some of Graph's published
//     examples; the page stays whole. Rejected like the above.
//
// The clock Options.Now drives event time, visibility, retention and token
// expiry, so tests move time by swapping the clock. A token's expires_in is
// relative, so a client that caches tokens on real time keeps using one the
// moved clock has expired: tests that jump far ahead set a long
// TokenLifetime. Throttling windows and slow-response stalls use real time,
// since they measure how a client paces itself.
package graphsim

// Package bench measures the archiver end to end, the way issue 7 asks: the
// real entra-archiver binary runs as a child process against the simulated
// Graph (graphsim, served from this process over loopback TLS) and a local
// folder or Azurite, and the child's own CPU time and peak RSS are read from
// the kernel (wait4 rusage), so nothing the bench itself does is counted.
//
// Three scenarios:
//
//   - Throughput: one hour partition of N records, unthrottled. Next to the
//     archiver, on the same pages, two baselines run as children too:
//     fetch-only (follow every nextLink, discard the bodies) and the scripting
//     approach people use today (curl + jq -c '.value[]' + gzip).
//   - Throttle: graphsim enforces the same per-tenant limit as the config
//     (time scaled); a busy tenant backfills 30 days and a quiet one too. It
//     reports the request rate against the limit, 429s and requests per
//     1,000 records and per day of history.
//   - Tenants: 100 tenants × 6 streams in one daemon under one per-app
//     budget while one tenant backfills; it reports how long every tenant's
//     incremental runs take against the schedule period.
//
// The bench is run by cmd/entra-archiver-bench (make bench); its numbers and
// commands are in docs/benchmarks.md. The hot paths (page decode, encoders,
// gzip) have go test benchmarks in their packages; sorting and deduplication
// are benchmarked here through the job package.
package bench

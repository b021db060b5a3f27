// Package faults holds the in-process reliability suites: the daemon and
// the once command wired by app.New against the simulated Graph, with an
// injected clock that jumps, and a soak run that checks for leaked
// goroutines and a growing heap. Each ends by comparing the archive with the
// simulator's ground truth. A scan of the sources checks that nothing turns
// TLS verification off. The package has no non-test code.
//
// The rest of the reliability and security suites run the real binary and
// live beside the end-to-end tests in tests/e2e: Graph faults
// (graph_fault_test.go), storage faults — Azurite stopped, a full or
// read-only file system — (storage_fault_test.go), kill -9 at seeded
// moments (crash_fault_test.go), bad configuration (config_fault_test.go),
// secrets (secrets_security_test.go), and TLS and container access
// (tls_security_test.go). Fuzz targets sit with the code they fuzz, each
// with a committed corpus under testdata/fuzz. docs/security.md is the
// threat model.
//
// The soak runs the daemon for 75 seconds by default;
// ENTRA_ARCHIVER_SOAK=10m runs it longer.
package faults

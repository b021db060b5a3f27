// Package analytics keeps docs/analytics.md honest: its test archives a
// simulated tenant (late records, re-published copies and revisions
// included), runs every SQL block of the document with a real DuckDB (the
// engine in the @duckdb/node-api npm package, through Node.js), and checks
// each result against what the archive holds, read in Go. A recipe that
// stops working, or a pitfall DuckDB stops showing, fails the test. The
// package has no non-test code.
package analytics

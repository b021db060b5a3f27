// Package audit holds the core vocabulary of entra-archiver: the six activity-log
// streams Graph serves, records as Graph sent them, half-open time windows and
// the hour or day partitions of event time the archive is cut into. It has no
// dependencies beyond the standard library; every other package speaks in these
// types.
package audit

// Package e2e holds end-to-end tests: the real entra-archiver binary, run as
// a separate process, against the simulated Graph and real Azurite, with the
// archive compared byte for byte with what the simulator served. The package
// has no non-test code.
package e2e

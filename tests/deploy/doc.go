// Package deploy holds the tests of the deployment files under deploy/:
// the Kubernetes manifests are rendered with kustomize and decoded strictly
// into their API types, and what must agree across files is checked against
// the code it describes (the listener and probe ports, the configuration the
// pod is given, the metrics the alerts use, the build flags, the image). The
// systemd units are checked by systemd-analyze; the plain Prometheus rules
// file, the README's and docs' alert tables are held to the PrometheusRule,
// and promtool runs the rules' unit tests. The package has no code of its
// own.
package deploy

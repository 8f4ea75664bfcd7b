// Package clusterchecks is the leader-only task that delivers cluster checks:
// checks declared outside any pod, for the node agents, which have no
// Kubernetes API access.
//
// Users create ConfigMaps in the control plane's namespace labelled
// meshprobe.io/checks: "true"; each data key holds a list of checks in the
// schema of the meshprobe.io/checks annotation (package checks/spec). The
// leader watches them (a namespace-scoped, label-selected informer) and
// maintains one ConfigMap, meshprobe-cluster-checks, whose key checks.yaml
// holds the union of the valid sources' checks, in order of ConfigMap name,
// key and position; the agents mount it and reload it when it changes.
//
// A source (one data key) is delivered whole or not at all. It is skipped when
// it does not parse (or is larger than the annotation limit, or binaryData),
// when one of its check names is already delivered by a source before it, or
// when it would take the aggregate over spec.MaxAnnotationBytes or
// spec.MaxChecks. A skipped source gets a Warning Event on its ConfigMap naming
// the problem, a log line and a count in meshprobe_cluster_checks_sources; the
// other sources are still delivered.
//
// checks.yaml parses (spec.Parse) to exactly the delivered checks: each check
// is written as its source wrote it, and the task checks the round trip before
// it writes. The ConfigMap is written only when it differs, and a hand edit is
// undone by the next pass. Aggregator is the pure part; Controller the task.
package clusterchecks

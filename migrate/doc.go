// Package migrate converts the configuration of three tools meshprobe replaces
// into meshprobe's own, for `meshprobe convert`:
//
//   - epsitter's sitter.yaml (a map of URLs) becomes cluster-check ConfigMaps of
//     http checks, one ConfigMap per epsitter namespace;
//   - synthetic-heart SyntheticTest objects become cluster-check ConfigMaps, one
//     per test, with runOn from the test's node pattern;
//   - k8s-network-prober-operator NetworkProber objects become Namespace labels
//     and a plan, in comments, for labelling the selected pods.
//
// Every generated list of checks passes [spec.Parse]; a source entry that cannot
// be carried over is skipped with a [Warning] naming the source object and field.
// Credentials are never copied: a check refers to a file of a Secret that the
// warning tells the user to create. Input is bounded to [MaxInputBytes]; bad input
// is an [*InputError] naming the document and the field.
//
// The mapping, with the sources it was taken from, is in docs/migration.
package migrate

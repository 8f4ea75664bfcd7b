// Package dashboard builds meshprobe's Grafana dashboard as data, so the JSON that users
// import (manifests/monitoring/dashboards/meshprobe.json) is generated, laid out on
// Grafana's 24-column grid without hand-counted coordinates, and kept in step with the
// recording rules. `go test ./internal/docgen/dashboard -update` rewrites the JSON file; the
// test fails when the file and the generator disagree.
//
// Every panel reads from the `${datasource}` variable, never a fixed datasource UID, and
// the mesh and check panels filter by the namespace, app and node variables.
package dashboard

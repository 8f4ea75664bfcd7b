// Package checks runs the synthetic checks declared in a pod's meshprobe.io/checks
// annotation.
//
// The annotation holds a YAML (or JSON) list of checks. [Parse] turns it into
// [Spec] values: defaults first, then validation derived from one explicit registry
// of check types (http, tcp, dns, tls, grpc), so that every error names the check
// and the field. The webhook uses Parse for its admission warnings; the sidecar
// uses a [Manager] to run the checks.
//
// A Manager schedules each check on its own interval with jitter, never overlapping
// itself, with bounded concurrency and the check's timeout as the budget for all of
// its attempts. It reloads the set live ([Manager.Reload]): unchanged checks keep
// running, new ones start, removed ones stop and their metric series vanish; an
// invalid annotation keeps the last good set. Checks with runOn: one run on exactly
// one live replica of the pod's owner, chosen by rendezvous hashing ([Rendezvous])
// over the gossip membership ([Membership]). Results are exported as Prometheus
// metrics and as JSON ([Manager.Handler], served at /api/v1/checks).
package checks

// Package checks runs the synthetic checks declared in a pod's meshprobe.io/checks
// annotation.
//
// What the annotation may say, its parser and its errors are the specification,
// in package [github.com/meshprobe/meshprobe/checks/spec]; the webhook uses only
// that. This package holds the probers (http, tcp, dns, tls, grpc; one for each
// of spec.Types) and what runs them in the sidecar.
//
// A [Manager] schedules each check on its own interval with jitter, never
// overlapping itself, with bounded concurrency and the check's timeout as the
// budget for all of its attempts. It reloads the set live ([Manager.Reload]):
// unchanged checks keep running, new ones start, removed ones stop and their
// metric series vanish; an invalid annotation keeps the last good set. Checks
// with runOn: one run on exactly one live replica of the pod's owner, chosen by
// rendezvous hashing ([Rendezvous]) over the gossip membership ([Membership]).
// Node patterns narrow that to the members on matching nodes ([Config.Node]):
// worker* runs on every one of them, worker$ on one (election.go); a member
// whose node does not match reports the check as [StateUnscheduled].
// Results are exported as Prometheus metrics (with meshprobe_check_info carrying
// display names and user labels) and as JSON ([Manager.Handler], served at
// /api/v1/checks).
//
// The node agents run the same Manager over the cluster checks file, with the
// agent DaemonSet as the owner.
package checks

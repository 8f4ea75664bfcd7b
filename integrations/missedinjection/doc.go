// Package missedinjection is the leader-only task that finds pods running
// without the meshprobe sidecar although injection selects them.
//
// The webhook fails open (failurePolicy: Ignore), so pods created while it was
// unreachable start without the sidecar, silently (Istio #3716, kuma #3293). The
// task watches every pod; a pod whose namespace carries meshprobe.io/inject=enabled
// or that carries meshprobe.io/inject: "true" itself, and that the webhook's own
// decision (webhook.Select) would inject, is missed. For each missed pod it
// records one Warning Event on the pod and one on its owner, and it exports
// meshprobe_webhook_missed_pods{namespace}. With repair enabled it restarts the
// owning Deployment or StatefulSet the way `kubectl rollout restart` does, rate
// limited and at most once per cooldown per workload, so that the webhook
// injects the new pods; a loop breaker stops restarting a workload whose new
// pods keep coming up without the sidecar. Every decision is made from the
// pods' specs in the API server, never from what gossip members say about
// themselves, so a member that lies about its pod cannot steer the repair.
package missedinjection

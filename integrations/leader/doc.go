// Package leader elects one control-plane replica with a Kubernetes Lease
// (client-go leaderelection) and runs leader-only Tasks while it leads.
//
// Tasks start when the replica wins the Lease and stop when it loses it or shuts
// down: their context is cancelled and the elector waits for them, up to a bound,
// before it gives the Lease up, so two replicas never run leader-only work at the
// same time on purpose. After a loss the replica campaigns again rather than exit.
//
// While it leads, the elector labels its own pod meshprobe.io/role=leader and
// removes that label from every other control-plane pod, so a Service that
// selects the label (the heartbeat Service) always routes to the leader.
package leader

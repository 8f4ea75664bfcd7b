package dashboard

import "fmt"

// controlPlanePanels are the webhook, leader, ThousandEyes and heartbeat panels. The
// control plane runs in meshprobe's own namespace, so the variables do not apply.
func controlPlanePanels(l *layout) {
	l.row("Control plane")
	l.add(stat("Leaders",
		"Control-plane replicas that hold the leader Lease: exactly 1 is healthy.",
		"short", steps("red", 1, "green", 2, "red"),
		rangeTarget(fmt.Sprintf("sum(%s) or vector(0)", mLeader), "leaders")), 4, 8)
	l.add(timeseries("Leader by pod",
		"1 on the replica that leads: the one that runs the ThousandEyes sync, heartbeats and gossip keys.",
		"short", rangeTarget(fmt.Sprintf("max by (pod) (%s)", mLeader), "{{pod}}")), 8, 8)
	l.add(stacked(timeseries("Admissions/s by result and reason",
		"Pods seen by the mutating webhook, by result (injected, skipped, denied, error) and reason.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (result, reason) (%s)", rate5(mAdmissions, "")), "{{result}} {{reason}}"))), 12, 8)

	l.add(stacked(timeseries("ThousandEyes operations/s",
		"Sync operations against ThousandEyes tests, by operation and result.",
		"ops", rangeTarget(fmt.Sprintf("sum by (op, result) (%s)", rate5(mTEOps, "")), "{{op}} {{result}}"))), 8, 8)
	l.add(stacked(timeseries("ThousandEyes API requests/s by code",
		"Calls to the ThousandEyes API by method and HTTP status; anything but 2xx is an error.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (method, code) (%s)", rate5(mTEAPI, "")), "{{method}} {{code}}"))), 8, 8)
	l.add(stat("ThousandEyes API errors",
		"Share of ThousandEyes API calls that did not return 2xx over the last 5 minutes (0 when there were none).",
		"percentunit", steps("green", 0.01, "orange", 0.1, "red"),
		rangeTarget(fmt.Sprintf(`((sum(rate(%s{code!~"2.."}[5m])) or vector(0)) / (sum(rate(%s[5m])) > 0)) or vector(0)`, mTEAPI, mTEAPI), "error ratio")), 4, 8)
	l.add(stat("Managed tests",
		"ThousandEyes tests that meshprobe owns.",
		"short", steps("blue"),
		rangeTarget(fmt.Sprintf("sum(%s)", mTEManaged), "tests")), 4, 8)

	l.add(stacked(timeseries("Heartbeat requests/s",
		"Requests to the heartbeat API by workload kind and HTTP status.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (kind, code) (%s)", rate5(mHeartbeat, "")), "{{kind}} {{code}}"))), 24, 8)
}

package dashboard

import "fmt"

// rttSteps colours RTT cells: green below 1 ms, yellow below 10 ms, then red.
var rttSteps = steps("green", 0.001, "yellow", 0.01, "orange", 0.05, "red")

// meshPanels are the gossip-mesh panels: members, RTT heatmap, quantiles, matrix, probes.
func meshPanels(l *layout) {
	bucket := fmt.Sprintf("%s{%s}", RecRTTBucketRate, srcFilter)
	l.row("Mesh: inter-pod round-trip time")
	l.add(heatmap("RTT distribution",
		"Round-trip time of every RTT probe sent by the selected sidecars, from the histogram buckets (probes/s per bucket).",
		fmt.Sprintf("sum by (le) (%s)", bucket)), 16, 9)
	l.add(timeseries("Members by state",
		"Members of the gossip mesh by memberlist state, as the sidecar with the largest view sees them. Different views across sidecars mean a partition.",
		"short", rangeTarget(fmt.Sprintf("max by (state) (%s{%s})", mMembers, srcFilter), "{{state}}")), 8, 9)

	peer := lblPeerNamespace + ", " + lblPeerApp
	l.add(timeseries("RTT p50 / p95 / p99 by peer",
		"RTT quantiles from the selected sidecars to each peer namespace/app.",
		"s", quantiles(bucket, peer, "{{"+lblPeerNamespace+"}}/{{"+lblPeerApp+"}}")...), 12, 9)
	l.add(timeseries("RTT same-node vs cross-node",
		"RTT quantiles to peers on the same node (same_node=true) and on other nodes.",
		"s", quantiles(bucket, lblSameNode, lblSameNode+"={{"+lblSameNode+"}}")...), 12, 9)

	worst := fmt.Sprintf(
		`label_join(label_join(max by (namespace, app, %s) (histogram_quantile(0.99, %s)), "src", "/", "namespace", "app"), "dst", "/", "%s", "%s")`,
		peer, bucket, lblPeerNamespace, lblPeerApp)
	l.add(matrix("Worst p99 RTT: source x destination",
		"Highest p99 RTT (over source nodes and same/cross node) from each source namespace/app (rows) to each destination (columns).",
		"s", "src", "dst", worst, rttSteps), 12, 9)
	l.add(timeseries("Probe loss by peer",
		"Fraction of RTT probes that got no answer, from the selected sidecars' namespace/app to each peer namespace/app.",
		"percentunit", rangeTarget(fmt.Sprintf(`%s{namespace=~"$namespace", app=~"$app"}`, RecProbeLoss),
			"{{namespace}}/{{app}} -> {{"+lblPeerNamespace+"}}/{{"+lblPeerApp+"}}")), 12, 9)

	l.add(stacked(timeseries("RTT probes/s by result",
		"RTT probes per second sent by the selected sidecars: answered (ok) and failed.",
		"reqps",
		rangeTarget(fmt.Sprintf("sum(%s{%s})", RecRTTCountRate, srcFilter), "ok"),
		rangeTarget(fmt.Sprintf("sum(%s{%s})", RecProbeFailureRate, srcFilter), "failed"))), 12, 8)
	l.add(timeseries("Probe failures/s by peer",
		"Failed RTT probes per second to each peer namespace/app.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (%s) (%s{%s})", peer, RecProbeFailureRate, srcFilter),
			"{{"+lblPeerNamespace+"}}/{{"+lblPeerApp+"}}")), 12, 8)
}

package dashboard

import "fmt"

// rttSteps colours RTT cells: green below 1 ms, yellow below 10 ms, then red.
var rttSteps = steps("green", 0.001, "yellow", 0.01, "orange", 0.05, "red")

// meshPanels are the gossip-mesh panels: members, RTT heatmap, quantiles by peer
// group and by source node, the zone and node matrices, probes.
func meshPanels(l *layout) {
	bucket := fmt.Sprintf("%s{%s}", RecRTTBucketRate, srcFilter)
	l.row("Mesh: inter-pod round-trip time")
	l.add(heatmap("RTT distribution",
		"Round-trip time of every RTT probe sent by the selected sidecars, from the histogram buckets (probes/s per bucket).",
		fmt.Sprintf("sum by (le) (%s)", bucket)), 16, 9)
	l.add(timeseries("Members by state",
		"Members of the gossip mesh by memberlist state, as the sidecar with the largest view sees them. Different views across sidecars mean a partition.",
		"short", rangeTarget(fmt.Sprintf("max by (state) (%s{%s})", mMembers, srcFilter), "{{state}}")), 8, 9)

	l.add(timeseries("RTT p50 / p95 / p99 by peer namespace",
		"RTT quantiles from the selected sidecars to peers in their own namespace, in the namespaces they declare (MESHPROBE_RTT_PEER_NAMESPACES), and everywhere else (_other).",
		"s", quantiles(bucket, lblPeerNamespace, "{{"+lblPeerNamespace+"}}")...), 12, 9)
	locality := lblSameNode + ", " + lblSameZone
	l.add(timeseries("RTT same node / same zone / cross zone",
		"RTT quantiles to peers on the same node, on other nodes of the same zone, and in other zones (unknown: a zone is not known).",
		"s", quantiles(bucket, locality, lblSameNode+"={{"+lblSameNode+"}} "+lblSameZone+"={{"+lblSameZone+"}}")...), 12, 9)

	l.add(timeseries("RTT p99 by source node",
		"p99 RTT from the selected sidecars on each node, to peers in the same zone and in other zones: a node whose line stands out is the slow one.",
		"s", rangeTarget(fmt.Sprintf("histogram_quantile(0.99, sum by (node, %s, le) (%s))", lblSameZone, bucket),
			"{{node}} same_zone={{"+lblSameZone+"}}")), 12, 9)
	l.add(matrix("p99 RTT: zone to zone",
		"p99 RTT of the whole mesh from each source zone (rows) to each peer zone (columns), recorded once by the rules. _unknown: peers that announce no zone (the control plane).",
		"s", lblZone, lblPeerZone, RecZonePairP99, rttSteps), 12, 9)

	l.add(matrix("p99 RTT: node to node",
		"p99 RTT from each selected source node (rows) to each peer node (columns), from the members that export peer_node: the node agents (meshprobe-agent), and sidecars with MESHPROBE_RTT_PEER_LABELS=peer_node; _overflow: nodes beyond MESHPROBE_RTT_PEER_LABEL_LIMIT.",
		"s", "node", lblPeerNode, fmt.Sprintf(`%s{node=~"$node"}`, RecNodePairP99), rttSteps), 12, 9)
	l.add(nodePairQuantiles(), 12, 9)

	l.add(timeseries("Probe loss by peer namespace",
		"Fraction of RTT probes that got no answer, from the selected sidecars' namespace/app to each peer namespace.",
		"percentunit", rangeTarget(fmt.Sprintf(`%s{namespace=~"$namespace", app=~"$app"}`, RecProbeLoss),
			"{{namespace}}/{{app}} -> {{"+lblPeerNamespace+"}}")), 8, 8)
	l.add(stacked(timeseries("RTT probes/s by result",
		"RTT probes per second sent by the selected sidecars: answered (ok) and failed.",
		"reqps",
		rangeTarget(fmt.Sprintf("sum(%s{%s})", RecRTTCountRate, srcFilter), "ok"),
		rangeTarget(fmt.Sprintf("sum(%s{%s})", RecProbeFailureRate, srcFilter), "failed"))), 8, 8)
	peer := lblPeerNamespace + ", " + lblPeerZone
	l.add(timeseries("Probe failures/s by peer",
		"Failed RTT probes per second to each peer namespace and zone.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (%s) (%s{%s})", peer, RecProbeFailureRate, srcFilter),
			"{{"+lblPeerNamespace+"}} {{"+lblPeerZone+"}}")), 8, 8)
}

// nodePairQuantiles lists the node agents' node pairs with their p50 and p99 RTT,
// one row per pair (sortable, filterable), from the rules' agent_node_pair:* series.
func nodePairQuantiles() Panel {
	q := func(rec string) Target { return tableTarget(fmt.Sprintf(`%s{node=~"$node"}`, rec)) }
	p := table("RTT p50 / p99: node to node (node agents)",
		"p50 and p99 RTT between every pair of nodes, measured by the node agents (the meshprobe-agent DaemonSet, one per node) only, so no application pod's sidecar skews it: one row per source node and peer node, up to the agents' --rtt-peer-label-limit peer nodes (then _overflow). Empty without agents.",
		nil, q(RecAgentNodePairP50), q(RecAgentNodePairP99))
	p.FieldConfig.Defaults["unit"], p.FieldConfig.Defaults["decimals"] = "s", 2
	p.FieldConfig.Defaults["thresholds"] = map[string]any{"mode": "absolute", "steps": rttSteps}
	for _, v := range []string{"p50", "p99"} {
		p.FieldConfig.Overrides = append(p.FieldConfig.Overrides, map[string]any{
			"matcher":    map[string]any{"id": "byName", "options": v},
			"properties": []any{map[string]any{"id": "custom.cellOptions", "value": map[string]any{"type": "color-background", "mode": "gradient"}}},
		})
	}
	// One row per pair: merge the two queries' rows by their labels, then name the
	// value columns.
	p.Transformations = []map[string]any{
		{"id": "merge", "options": map[string]any{}},
		{"id": "organize", "options": map[string]any{
			"excludeByName": map[string]any{"Time": true},
			"renameByName":  map[string]any{"Value #A": "p50", "Value #B": "p99"},
		}},
	}
	return p
}

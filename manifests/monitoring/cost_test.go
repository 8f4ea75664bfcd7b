package monitoring

import (
	"context"
	"fmt"
	"strings"
	"testing"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// rttRuleCost logs what the RTT recording rules cost, next to the raw series they
// read: the series each rule writes and its last evaluation time (run with -v for
// the figures; manifests/monitoring/README.md quotes them). It checks that the
// matrices exist and stay within their bounds: zone pairs at most source zones x 11
// peer_zone values, node pairs only from the sidecars that export peer_node.
func rttRuleCost(t *testing.T, ctx context.Context, prom *promtest.Server) {
	count := func(expr string) int {
		v, err := prom.Instant(ctx, fmt.Sprintf("count(%s)", expr))
		require.NoError(t, err, expr)
		if len(v) == 0 {
			return 0
		}
		return int(v[0].Value)
	}
	for _, job := range []string{"meshprobe-sidecar", agentJob} {
		t.Logf("raw: %d meshprobe_gossip_rtt_seconds_bucket series from %d %s targets",
			count(fmt.Sprintf(`meshprobe_gossip_rtt_seconds_bucket{job=%q, scrape_source=""}`, job)),
			count(fmt.Sprintf(`up{job=%q, scrape_source=""}`, job)), job)
	}
	res, err := prom.API.Rules(ctx, nil)
	require.NoError(t, err)
	for _, g := range res.Groups {
		if g.Name != "meshprobe.rtt.rules" {
			continue
		}
		for _, r := range g.Rules {
			if rr, ok := r.(promv1.RecordingRule); ok {
				t.Logf("%s: %d series, evaluated in %.2f ms", rr.Name, count(rr.Name), rr.EvaluationTime*1000)
			}
		}
	}
	zones := count(`count by (zone) (zone_pair:meshprobe_gossip_rtt_seconds:p99_5m)`)
	pairs := count(`zone_pair:meshprobe_gossip_rtt_seconds:p99_5m`)
	assert.Positive(t, pairs, "zone pairs")
	assert.LessOrEqual(t, pairs, zones*11, "zone pairs within source zones x 11 peer_zone values")
	nodes, err := prom.Instant(ctx, `count by (peer_node) (node_pair:meshprobe_gossip_rtt_seconds:p99_5m)`)
	require.NoError(t, err)
	var peerNodes []string
	for _, s := range nodes {
		peerNodes = append(peerNodes, string(s.Metric["peer_node"]))
	}
	assert.NotEmpty(t, peerNodes, "node pairs from the sidecars with peer_node")
	t.Logf("node pairs reach peer nodes %s", strings.Join(peerNodes, ", "))
	agentSeriesCost(t, ctx, prom, count)
}

// bucketSeriesPerLabelSet is what one RTT label set costs in bucket series: two
// histograms (echo, swim) of 14 buckets and +Inf.
const bucketSeriesPerLabelSet = 2 * 15

// agentSeriesCost: each agent's RTT series stay within what its flags allow,
// (D + 2) x (min(nodes, limit) + 1) label sets (gossip/README.md, series per member;
// D declared namespaces, limit the peer_node values), and the agents' node matrix
// has every node pair and no more than nodes x (limit + 1) cells.
func agentSeriesCost(t *testing.T, ctx context.Context, prom *promtest.Server, count func(string) int) {
	cfg := agentRTTConfig(t)
	nodes := len(nodeZones)
	sets := (len(cfg.RTTPeerNamespaces) + 2) * (min(nodes, cfg.RTTPeerLabelLimit) + 1)
	per, err := prom.Instant(ctx, fmt.Sprintf(`count by (pod) (meshprobe_gossip_rtt_seconds_bucket{job=%q, scrape_source=""})`, agentJob))
	require.NoError(t, err)
	require.Len(t, per, nodes, "one agent per node")
	for _, s := range per {
		t.Logf("%s: %v bucket series, at most %d (%d label sets)", s.Metric["pod"], s.Value, sets*bucketSeriesPerLabelSet, sets)
		assert.LessOrEqual(t, int(s.Value), sets*bucketSeriesPerLabelSet, "%s", s.Metric["pod"])
	}
	cells := count(`agent_node_pair:meshprobe_gossip_rtt_seconds:p99_5m`)
	assert.GreaterOrEqual(t, cells, nodes*nodes, "every node pair")
	assert.LessOrEqual(t, cells, nodes*(cfg.RTTPeerLabelLimit+1))
}

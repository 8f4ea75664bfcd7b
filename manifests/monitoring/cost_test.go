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
	t.Logf("raw: %d meshprobe_gossip_rtt_seconds_bucket series, %d sidecars",
		count(`meshprobe_gossip_rtt_seconds_bucket{scrape_source=""}`), count(`up{job="meshprobe-sidecar", scrape_source=""}`))
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
}

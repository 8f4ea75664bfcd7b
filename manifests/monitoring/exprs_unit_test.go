package monitoring

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`sum by (namespace, app) (rate(meshprobe_check_runs_total{result="error"}[5m]))`,
			[]string{`meshprobe_check_runs_total{result="error"}`}},
		{`histogram_quantile(0.99, sum by (le) (node_peer:meshprobe_gossip_rtt_seconds_bucket:rate5m{namespace=~".*"}))`,
			[]string{`node_peer:meshprobe_gossip_rtt_seconds_bucket:rate5m{namespace=~".*"}`}},
		{`absent(up{job="meshprobe-control-plane"} == 1)`, []string{`up{job="meshprobe-control-plane"}`}},
		{`meshprobe_gossip_members{state="alive"} < 0.9 * scalar(max(meshprobe_gossip_members{state="alive"}))`,
			[]string{`meshprobe_gossip_members{state="alive"}`}},
		{`label_join(x, "src", "/", "namespace", "app")`, nil},
		{`sum(rate(meshprobe_webhook_admissions_total[5m])) > 0`, []string{`meshprobe_webhook_admissions_total`}},
		{`sum(a) / on (op) group_left (meshprobe_x) meshprobe_leader`, []string{`meshprobe_leader`}},
	} {
		assert.Equal(t, tc.want, selectors(tc.expr), tc.expr)
	}
}

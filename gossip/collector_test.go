package gossip

import (
	"os"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"
)

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// histogramFor returns the RTT histogram of the series with this peer_app and probe.
func histogramFor(t testing.TB, r *running, app, probe string) *dto.Histogram {
	t.Helper()
	mfs, err := r.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "meshprobe_gossip_rtt_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelValue(m, "peer_app") == app && labelValue(m, "probe") == probe {
				return m.GetHistogram()
			}
		}
	}
	return nil
}

func sampleCount(t testing.TB, r *running, app, probe string) uint64 {
	return histogramFor(t, r, app, probe).GetSampleCount()
}

// bucketCount returns the cumulative count of the bucket with this upper bound.
func bucketCount(h *dto.Histogram, le float64) uint64 {
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == le {
			return b.GetCumulativeCount()
		}
	}
	return 0
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

package promtest

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// CounterValue gathers g and returns the value of the counter name whose labels
// include every pair of want; the test fails when there is none.
func CounterValue(t testing.TB, g prometheus.Gatherer, name string, want map[string]string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatalf("gathering metrics: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if matches(labels, want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no counter %s with labels %v", name, want)
	return 0
}

func matches(labels, want map[string]string) bool {
	for k, v := range want {
		if labels[k] != v {
			return false
		}
	}
	return true
}

package checks

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// infoName is the metric of the checks' descriptive fields.
const infoName = "meshprobe_check_info"

// infoCollector exports meshprobe_check_info: 1 per configured check, labelled
// with its name, its display name and its user labels. The label names are
// check, display_name and the union of the user label names over all the
// checks ("" where a check does not set one), so the family is consistent
// within a scrape; spec bounds the union to spec.MaxLabels names. As that set
// changes with the checks, the collector describes nothing up front (the
// registry treats it as unchecked).
type infoCollector struct {
	checks func() []*checkState
}

// Describe sends nothing: the label names depend on the checks.
func (infoCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends one series per configured check.
func (c infoCollector) Collect(ch chan<- prometheus.Metric) {
	statuses := make([]Status, 0, 16)
	names := map[string]bool{}
	for _, st := range c.checks() {
		s := st.snapshot()
		statuses = append(statuses, s)
		for k := range s.Labels {
			names[k] = true
		}
	}
	if len(statuses) == 0 {
		return
	}
	user := slices.Sorted(maps.Keys(names))
	desc := prometheus.NewDesc(infoName,
		"1 per configured check, with its display name and user labels (\"\" where a check does not set one).",
		append([]string{"check", "display_name"}, user...), nil)
	for _, s := range statuses {
		values := append(make([]string, 0, 2+len(user)), s.Name, s.DisplayName)
		for _, k := range user {
			values = append(values, s.Labels[k])
		}
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, 1, values...)
		if err != nil {
			m = prometheus.NewInvalidMetric(desc, err)
		}
		ch <- m
	}
}

package checks

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collector exports the metrics of the checks that are currently configured,
// from a snapshot at each scrape: a removed check's series vanish with it.
type collector struct {
	checks func() []*checkState
	now    func() time.Time

	duration, up, runs, httpStatus, certExpiry *prometheus.Desc
}

// newCollector describes the per-check metrics.
func newCollector(checks func() []*checkState, now func() time.Time) *collector {
	labels := []string{"check", "type"}
	return &collector{
		checks: checks,
		now:    now,
		duration: prometheus.NewDesc("meshprobe_check_duration_seconds",
			"Duration of check runs, all attempts of a run together.", labels, nil),
		up: prometheus.NewDesc("meshprobe_check_up",
			"1 if the last run of the check succeeded, else 0; absent until it runs here and on standby replicas of runOn: one checks.", labels, nil),
		runs: prometheus.NewDesc("meshprobe_check_runs_total",
			"Check runs by result (success, failure, timeout).", append(labels, "result"), nil),
		httpStatus: prometheus.NewDesc("meshprobe_check_http_status_total",
			"HTTP status codes received by http checks, one per run (the last attempt's).", append(labels, "code"), nil),
		certExpiry: prometheus.NewDesc("meshprobe_check_tls_cert_expiry_seconds",
			"Seconds until the earliest certificate the target served expires (negative once expired).", labels, nil),
	}
}

// Describe sends the descriptors.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.duration, c.up, c.runs, c.httpStatus, c.certExpiry} {
		ch <- d
	}
}

// Collect sends the metrics of every configured check.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.now()
	for _, st := range c.checks() {
		st.collect(c, now, ch)
	}
}

// collect sends one check's metrics.
func (s *checkState) collect(c *collector, now time.Time, ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, typ := s.status.Name, string(s.status.Type)
	for _, r := range results {
		ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(s.runs[r]), name, typ, r)
	}
	for code, n := range s.codes {
		ch <- prometheus.MustNewConstMetric(c.httpStatus, prometheus.CounterValue, float64(n), name, typ, strconv.Itoa(code))
	}
	cumulative := make(map[float64]uint64, len(durationBuckets))
	var total uint64
	for i, upper := range durationBuckets {
		total += s.buckets[i]
		cumulative[upper] = total
	}
	ch <- prometheus.MustNewConstHistogram(c.duration, s.durCount, s.durSum, cumulative, name, typ)
	switch s.status.LastResult {
	case ResultSuccess:
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, name, typ)
	case ResultFailure, ResultTimeout:
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0, name, typ)
	}
	if s.status.CertExpiry != nil {
		ch <- prometheus.MustNewConstMetric(c.certExpiry, prometheus.GaugeValue, s.status.CertExpiry.Sub(now).Seconds(), name, typ)
	}
}

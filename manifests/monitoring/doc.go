// Package monitoring holds no code: this folder ships meshprobe's monitoring manifests
// (PodMonitors, a plain Prometheus scrape configuration, the PrometheusRule and the
// Grafana dashboard). Its tests prove them: promtool on the rules, and a real
// Prometheus that scrapes real meshprobe processes, loads the recording rules and
// evaluates every expression of the dashboard and the rules. With -render DIR the
// test also draws the dashboard's panels as PNG files (hack/render-dashboard.sh).
package monitoring

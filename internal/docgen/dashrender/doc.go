// Package dashrender draws Grafana dashboard panels as PNG images from Prometheus query
// results: time series (lines or stacked areas), heatmaps of histogram buckets, tables
// and matrices, bar gauges and stats, in Grafana's dark theme. It reads the panels from
// the dashboard JSON that users import, substitutes the template variables, runs each
// target against a Prometheus, and places the panels by their gridPos.
//
// It exists because Grafana itself cannot be installed where meshprobe is built: the
// images in docs/ are made by it from a real Prometheus scraping real meshprobe
// processes (see hack/render-dashboard.sh).
package dashrender

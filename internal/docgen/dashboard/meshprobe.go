package dashboard

import "fmt"

// UID is the dashboard's stable Grafana UID, so links to it survive re-imports.
const UID = "meshprobe-overview"

// Meshprobe returns meshprobe's dashboard: mesh RTT, checks and the control plane.
func Meshprobe() Dashboard {
	l := &layout{}
	meshPanels(l)
	checkPanels(l)
	controlPlanePanels(l)
	return Dashboard{
		Annotations: Annotations{List: []map[string]any{{
			"builtIn": 1, "datasource": map[string]any{"type": "grafana", "uid": "-- Grafana --"},
			"enable": true, "hide": true, "iconColor": "rgba(0, 211, 255, 1)",
			"name": "Annotations & Alerts", "type": "dashboard",
		}}},
		Description:   "meshprobe: inter-pod round-trip time from the gossip mesh, synthetic checks, and the control plane.",
		Editable:      true,
		GraphTooltip:  1,
		Links:         []any{},
		Panels:        l.panels,
		Refresh:       "30s",
		SchemaVersion: 39,
		Tags:          []string{"meshprobe", "kubernetes", "network"},
		Templating:    Templating{List: variables()},
		Time:          TimeRange{From: "now-1h", To: "now"},
		Timezone:      "browser",
		Title:         "meshprobe",
		UID:           UID,
		Version:       1,
	}
}

// variables are the datasource selector and the namespace -> app -> node cascade.
func variables() []Variable {
	ds := Variable{
		Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus",
		Refresh: 1, Current: map[string]any{}, Options: []any{},
	}
	return []Variable{
		ds,
		queryVariable("namespace", "Namespace", fmt.Sprintf("label_values(%s, namespace)", mMembers)),
		queryVariable("app", "App", fmt.Sprintf(`label_values(%s{namespace=~"$namespace"}, app)`, mMembers)),
		queryVariable("node", "Node", fmt.Sprintf(`label_values(%s{namespace=~"$namespace", app=~"$app"}, node)`, mMembers)),
	}
}

// queryVariable is a multi-select label_values variable with an "All" option (.*).
func queryVariable(name, label, query string) Variable {
	return Variable{
		Name: name, Label: label, Type: "query", Datasource: promDatasource,
		Query:      map[string]any{"query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
		Definition: query, Refresh: 2, Sort: 1, IncludeAll: true, Multi: true, AllValue: ".*",
		Current: map[string]any{"selected": true, "text": []string{"All"}, "value": []string{"$__all"}},
		Options: []any{},
	}
}

// quantiles returns p50/p95/p99 targets of histogram_quantile over `inner` (a bucket
// rate expression) grouped by `by` plus le.
func quantiles(inner, by, legend string) []Target {
	var out []Target
	for _, q := range []struct {
		q    string
		name string
	}{{"0.5", "p50"}, {"0.95", "p95"}, {"0.99", "p99"}} {
		expr := fmt.Sprintf("histogram_quantile(%s, sum by (%s, le) (%s))", q.q, by, inner)
		out = append(out, rangeTarget(expr, q.name+" "+legend))
	}
	return out
}

// rate5 is the rate of a raw counter over Grafana's rate interval for the chosen sidecars.
func rate5(metric, filter string) string {
	if filter != "" {
		metric += "{" + filter + "}"
	}
	return fmt.Sprintf("rate(%s[$__rate_interval])", metric)
}

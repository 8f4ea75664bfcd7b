package dashboard

// rangeTarget is a time-series query with a legend.
func rangeTarget(expr, legend string) Target {
	return Target{Datasource: promDatasource, Expr: expr, LegendFormat: legend, Format: "time_series", Range: true}
}

// tableTarget is an instant query whose result is shown as a table.
func tableTarget(expr string) Target {
	return Target{Datasource: promDatasource, Expr: expr, Format: "table", Instant: true}
}

// heatmapTarget is a query over histogram buckets, one series per `le`.
func heatmapTarget(expr string) Target {
	return Target{Datasource: promDatasource, Expr: expr, LegendFormat: "{{le}}", Format: "heatmap", Range: true}
}

// withRefIDs names the targets A, B, C... in order.
func withRefIDs(targets []Target) []Target {
	for i := range targets {
		targets[i].RefID = string(rune('A' + i))
	}
	return targets
}

// timeseries is a line chart in the given unit.
func timeseries(title, desc, unit string, targets ...Target) Panel {
	return Panel{
		Type: "timeseries", Title: title, Description: desc, Targets: withRefIDs(targets),
		FieldConfig: &FieldConfig{Defaults: map[string]any{
			"unit": unit,
			"custom": map[string]any{
				"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
				"showPoints": "never", "spanNulls": false,
			},
		}, Overrides: []map[string]any{}},
		Options: map[string]any{
			"legend":  map[string]any{"displayMode": "table", "placement": "right", "showLegend": true, "calcs": []string{"lastNotNull", "max"}},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
		},
	}
}

// stacked turns a timeseries panel into a stacked area chart.
func stacked(p Panel) Panel {
	custom := p.FieldConfig.Defaults["custom"].(map[string]any)
	custom["stacking"] = map[string]any{"mode": "normal", "group": "A"}
	custom["fillOpacity"] = 60
	return p
}

// heatmap shows pre-bucketed histogram data (Prometheus `le` buckets) over time.
func heatmap(title, desc, expr string) Panel {
	return Panel{
		Type: "heatmap", Title: title, Description: desc, Targets: withRefIDs([]Target{heatmapTarget(expr)}),
		FieldConfig: &FieldConfig{Defaults: map[string]any{}, Overrides: []map[string]any{}},
		Options: map[string]any{
			"calculate": false,
			"cellGap":   1,
			"color": map[string]any{
				"mode": "scheme", "scheme": "Spectral", "reverse": true, "scale": "exponential",
				"exponent": 0.5, "steps": 64, "fill": "dark-orange",
			},
			"yAxis":        map[string]any{"unit": "s", "axisPlacement": "left"},
			"rowsFrame":    map[string]any{"layout": "le"},
			"cellValues":   map[string]any{"unit": "reqps"},
			"tooltip":      map[string]any{"show": true, "yHistogram": true},
			"legend":       map[string]any{"show": true},
			"exemplars":    map[string]any{"color": "rgba(255,0,255,0.7)"},
			"filterValues": map[string]any{"le": 1e-9},
		},
	}
}

// table shows instant query results; hidden columns are dropped.
func table(title, desc string, hide []string, targets ...Target) Panel {
	exclude := map[string]any{"Time": true}
	for _, h := range hide {
		exclude[h] = true
	}
	return Panel{
		Type: "table", Title: title, Description: desc, Targets: withRefIDs(targets),
		FieldConfig: &FieldConfig{Defaults: map[string]any{
			"custom": map[string]any{"align": "auto", "filterable": true},
		}, Overrides: []map[string]any{}},
		Options: map[string]any{"showHeader": true, "cellHeight": "sm", "footer": map[string]any{"show": false}},
		Transformations: []map[string]any{
			{"id": "organize", "options": map[string]any{"excludeByName": exclude}},
		},
	}
}

// matrix pivots an instant query into a rows x columns grid: one row per value of the
// row label, one column per value of the column label, cells coloured by thresholds.
func matrix(title, desc, unit, rowLabel, colLabel, expr string, steps []any) Panel {
	return Panel{
		Type: "table", Title: title, Description: desc, Targets: withRefIDs([]Target{tableTarget(expr)}),
		FieldConfig: &FieldConfig{Defaults: map[string]any{
			"unit": unit, "decimals": 2,
			"custom":     map[string]any{"align": "center", "cellOptions": map[string]any{"type": "color-background", "mode": "gradient"}},
			"thresholds": map[string]any{"mode": "absolute", "steps": steps},
		}, Overrides: []map[string]any{{
			"matcher":    map[string]any{"id": "byName", "options": rowLabel + "\\" + colLabel},
			"properties": []any{map[string]any{"id": "custom.cellOptions", "value": map[string]any{"type": "auto"}}},
		}}},
		Options: map[string]any{"showHeader": true, "cellHeight": "sm", "footer": map[string]any{"show": false}},
		Transformations: []map[string]any{{
			"id":      "groupingToMatrix",
			"options": map[string]any{"rowField": rowLabel, "columnField": colLabel, "valueField": "Value", "emptyValue": "null"},
		}},
	}
}

// bargauge shows the last value of each series as a horizontal bar.
func bargauge(title, desc, unit string, steps []any, targets ...Target) Panel {
	return Panel{
		Type: "bargauge", Title: title, Description: desc, Targets: withRefIDs(targets),
		FieldConfig: &FieldConfig{Defaults: map[string]any{
			"unit": unit, "min": 0, "decimals": 0,
			"thresholds": map[string]any{"mode": "absolute", "steps": steps},
		}, Overrides: []map[string]any{}},
		Options: map[string]any{
			"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": true,
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
		},
	}
}

// stat shows one big number per series, coloured by thresholds.
func stat(title, desc, unit string, steps []any, targets ...Target) Panel {
	return Panel{
		Type: "stat", Title: title, Description: desc, Targets: withRefIDs(targets),
		FieldConfig: &FieldConfig{Defaults: map[string]any{
			"unit": unit, "decimals": 0,
			"thresholds": map[string]any{"mode": "absolute", "steps": steps},
		}, Overrides: []map[string]any{}},
		Options: map[string]any{
			"colorMode": "background", "graphMode": "area", "justifyMode": "auto", "textMode": "value_and_name",
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
		},
	}
}

// steps builds threshold steps from a base colour and (value, colour) pairs.
func steps(base string, pairs ...any) []any {
	out := []any{map[string]any{"color": base, "value": nil}}
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, map[string]any{"value": pairs[i], "color": pairs[i+1]})
	}
	return out
}

// valueMapping maps exact values to text and colour; each entry is {value, text, colour}.
func valueMapping(entries ...[3]string) []any {
	opts := map[string]any{}
	for i, e := range entries {
		opts[e[0]] = map[string]any{"text": e[1], "color": e[2], "index": i}
	}
	return []any{map[string]any{"type": "value", "options": opts}}
}

package dashboard

import "fmt"

// checkPanels are the synthetic-check panels: status table, durations, results, HTTP
// codes, TLS days left and annotation reloads.
func checkPanels(l *layout) {
	l.row("Checks")
	by := "namespace, app, " + lblCheck
	status := table("Check status",
		"Each check by namespace/app: UP when every replica that runs it passes, DOWN when any fails.",
		nil, tableTarget(fmt.Sprintf("min by (%s, %s) (%s{%s})", by, lblCheckType, mCheckUp, srcFilter)))
	status.FieldConfig.Overrides = append(status.FieldConfig.Overrides, map[string]any{
		"matcher": map[string]any{"id": "byName", "options": "Value"},
		"properties": []any{
			map[string]any{"id": "displayName", "value": "status"},
			map[string]any{"id": "mappings", "value": valueMapping([3]string{"0", "DOWN", "red"}, [3]string{"1", "UP", "green"})},
			map[string]any{"id": "custom.cellOptions", "value": map[string]any{"type": "color-background"}},
		},
	})
	l.add(status, 12, 9)
	l.add(timeseries("Check duration p50 / p95 / p99",
		"How long each check takes, by check.",
		"s", quantiles(fmt.Sprintf("%s{%s}", RecCheckDurationBucketRate, srcFilter), lblCheck, "{{"+lblCheck+"}}")...), 12, 9)

	l.add(stacked(timeseries("Check runs/s by result",
		"Check executions per second, by check and result.",
		"ops", rangeTarget(fmt.Sprintf("sum by (%s, result) (%s)", lblCheck, rate5(mCheckRuns, srcFilter)),
			"{{"+lblCheck+"}} {{result}}"))), 12, 8)
	l.add(stacked(timeseries("HTTP status codes",
		"Responses per second of the HTTP checks, by check and status code.",
		"reqps", rangeTarget(fmt.Sprintf("sum by (%s, code) (%s)", lblCheck, rate5(mCheckHTTP, srcFilter)),
			"{{"+lblCheck+"}} {{code}}"))), 12, 8)

	l.add(bargauge("TLS certificate: days left",
		"Days until the earliest certificate seen by each TLS (or HTTPS) check expires.",
		"d", steps("red", 7, "orange", 21, "green"),
		rangeTarget(fmt.Sprintf("min by (%s) (%s{%s}) / 86400", by, mCheckTLSExpiry, srcFilter),
			"{{namespace}}/{{app}} {{"+lblCheck+"}}")), 12, 8)
	l.add(stat("Sidecars with a bad checks annotation",
		"Sidecars whose last reload of the meshprobe.io/checks annotation failed; they keep running their previous checks.",
		"short", steps("green", 1, "red"),
		rangeTarget(fmt.Sprintf("count(%s{%s} == 0) or vector(0)", mChecksReload, srcFilter), "bad annotations")), 12, 8)
}

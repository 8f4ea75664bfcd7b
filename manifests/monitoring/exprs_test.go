package monitoring

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

const (
	dashboardFile  = "dashboards/meshprobe.json"
	ruleFile       = "prometheusrule.yaml"
	scrapeFile     = "prometheus-scrape-config.yaml"
	sidecarPodMon  = "podmonitor-sidecar.yaml"
	agentPodMon    = "podmonitor-agents.yaml"
	controlPodMon  = "podmonitor-controlplane.yaml"
	kustomizeFile  = "kustomization.yaml"
	configMapFile  = "grafana-dashboard-configmap.yaml"
	rateInterval   = "10s"
	variableAllRex = ".*"
)

// panelQuery is one PromQL target of a dashboard panel.
type panelQuery struct {
	Panel, Expr, Format string
	Instant             bool
}

// dashboardQueries reads every target of every panel (rows included) of the shipped
// dashboard JSON.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	var d struct {
		Panels []jsonPanel `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, dashboardFile), &d))
	var out []panelQuery
	var walk func([]jsonPanel)
	walk = func(ps []jsonPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out = append(out, panelQuery{Panel: p.Title, Expr: tg.Expr, Format: tg.Format, Instant: tg.Instant})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	require.NotEmpty(t, out)
	return out
}

type jsonPanel struct {
	Title   string `json:"title"`
	Targets []struct {
		Expr    string `json:"expr"`
		Format  string `json:"format"`
		Instant bool   `json:"instant"`
	} `json:"targets"`
	Panels []jsonPanel `json:"panels"`
}

// labelValuesQuery is a dashboard variable: label_values(selector, label).
type labelValuesQuery struct {
	Name, Selector, Label string
}

var labelValuesRE = regexp.MustCompile(`^label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)

// dashboardVariables reads the query variables of the shipped dashboard.
func dashboardVariables(t *testing.T) []labelValuesQuery {
	t.Helper()
	var d struct {
		Templating struct {
			List []struct {
				Name       string `json:"name"`
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(readFile(t, dashboardFile), &d))
	var out []labelValuesQuery
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		m := labelValuesRE.FindStringSubmatch(v.Definition)
		require.NotNil(t, m, "variable %s: want label_values(selector, label), got %q", v.Name, v.Definition)
		out = append(out, labelValuesQuery{Name: v.Name, Selector: m[1], Label: m[2]})
	}
	return out
}

// rule is one recording or alerting rule of the PrometheusRule.
type rule struct {
	Record      string            `json:"record"`
	Alert       string            `json:"alert"`
	Expr        string            `json:"expr"`
	For         string            `json:"for"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type ruleGroup struct {
	Name  string `json:"name"`
	Rules []rule `json:"rules"`
}

// ruleGroups reads spec.groups of the shipped PrometheusRule.
func ruleGroups(t *testing.T) []ruleGroup {
	t.Helper()
	var pr struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       struct {
			Groups []ruleGroup `json:"groups"`
		} `json:"spec"`
	}
	require.NoError(t, yaml.UnmarshalStrict(readFile(t, ruleFile), &pr))
	require.Equal(t, "PrometheusRule", pr.Kind)
	require.NotEmpty(t, pr.Spec.Groups)
	return pr.Spec.Groups
}

// writeRuleFile extracts spec.groups into a plain rule file for promtool and Prometheus.
func writeRuleFile(t *testing.T, dir string) string {
	t.Helper()
	var pr map[string]any
	require.NoError(t, yaml.Unmarshal(readFile(t, ruleFile), &pr))
	spec := pr["spec"].(map[string]any)
	raw, err := yaml.Marshal(map[string]any{"groups": spec["groups"]})
	require.NoError(t, err)
	path := dir + "/meshprobe.rules.yml"
	require.NoError(t, os.WriteFile(path, raw, 0o600))
	return path
}

// expandVariables substitutes the dashboard variables the way Grafana does with "All"
// selected (allValue .*) and a rate interval that covers several test scrapes.
func expandVariables(expr string) string {
	return strings.NewReplacer(
		"$__rate_interval", rateInterval,
		"$namespace", variableAllRex, "$app", variableAllRex, "$node", variableAllRex,
	).Replace(expr)
}

var (
	// groupingClause matches by (...), without (...), on (...), ignoring (...),
	// group_left (...) and group_right (...), whose contents are label names.
	groupingClause = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	stringLiteral  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	rangeSuffix    = regexp.MustCompile(`\[[^\]]*\]`)
	selectorRE     = regexp.MustCompile(`([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{[^}]*\})?`)
)

// selectors returns the vector selectors (metric name plus matchers) of a PromQL
// expression: the series the expression reads. It recognises meshprobe's metrics,
// recorded series (names with a colon) and `up`, which is all the rules use.
func selectors(expr string) []string {
	// Keep the matchers' strings but blank them while scanning for names.
	masked := stringLiteral.ReplaceAllStringFunc(expr, func(s string) string { return strings.Repeat("\x00", len(s)) })
	masked = groupingClause.ReplaceAllStringFunc(masked, func(s string) string { return strings.Repeat(" ", len(s)) })
	masked = rangeSuffix.ReplaceAllStringFunc(masked, func(s string) string { return strings.Repeat(" ", len(s)) })
	seen := map[string]bool{}
	var out []string
	for _, loc := range selectorRE.FindAllStringSubmatchIndex(masked, -1) {
		name := masked[loc[2]:loc[3]]
		if !strings.HasPrefix(name, "meshprobe_") && !strings.Contains(name, ":") && name != "up" {
			continue
		}
		rest := strings.TrimLeft(masked[loc[1]:], " ")
		if strings.HasPrefix(rest, "(") {
			continue // a function call
		}
		end := loc[3]
		if loc[5] >= 0 {
			end = loc[5]
		}
		sel := expr[loc[2]:end]
		if !seen[sel] {
			seen[sel] = true
			out = append(out, sel)
		}
	}
	return out
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

package dashrender

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// Querier runs PromQL; promtest.Server implements it.
type Querier interface {
	Instant(ctx context.Context, expr string) (model.Vector, error)
	Range(ctx context.Context, expr string, window, step time.Duration) (model.Matrix, error)
}

// Expand substitutes Grafana's template variables in expr: $__rate_interval (and
// $__interval) with rateInterval, then $name and ${name} for each variable in vars.
func Expand(expr string, vars map[string]string, rateInterval string) string {
	r := strings.NewReplacer("$__rate_interval", rateInterval, "${__rate_interval}", rateInterval,
		"$__interval", rateInterval, "${__interval}", rateInterval)
	expr = r.Replace(expr)
	names := sortedKeys(vars)
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	for _, n := range names {
		expr = strings.ReplaceAll(expr, "${"+n+"}", vars[n])
		expr = strings.ReplaceAll(expr, "$"+n, vars[n])
	}
	return expr
}

// series is one line of a time-series panel.
type series struct {
	// refID is the panel target's refId the series answers.
	refID  string
	name   string
	labels model.Metric
	t      []time.Time
	v      []float64
}

// last is the last value of s (NaN when empty).
func (s series) last() float64 {
	if len(s.v) == 0 {
		return nan
	}
	return s.v[len(s.v)-1]
}

var legendVar = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// legend applies a Grafana legend format ("{{label}} text") to a series' labels.
func legend(format string, m model.Metric) string {
	if format == "" {
		return m.String()
	}
	return legendVar.ReplaceAllStringFunc(format, func(s string) string {
		name := legendVar.FindStringSubmatch(s)[1]
		return string(m[model.LabelName(name)])
	})
}

// rangeSeries runs every target of p as a range query.
func (r *renderer) rangeSeries(ctx context.Context, p Panel) ([]series, error) {
	var out []series
	for _, tg := range p.Targets {
		m, err := r.q.Range(ctx, r.expand(tg.Expr), r.opts.Window, r.opts.Step)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(p.Type, p.Title), err)
		}
		for _, ss := range m {
			s := series{name: legend(tg.LegendFormat, ss.Metric), labels: ss.Metric}
			for _, v := range ss.Values {
				s.t = append(s.t, v.Timestamp.Time())
				s.v = append(s.v, float64(v.Value))
			}
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// instant runs every target of p as an instant query.
func (r *renderer) instant(ctx context.Context, p Panel) ([]series, error) {
	var out []series
	for _, tg := range p.Targets {
		v, err := r.q.Instant(ctx, r.expand(tg.Expr))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(p.Type, p.Title), err)
		}
		for _, smp := range v {
			out = append(out, series{refID: tg.RefID, name: legend(tg.LegendFormat, smp.Metric), labels: smp.Metric,
				t: []time.Time{smp.Timestamp.Time()}, v: []float64{float64(smp.Value)}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

package thousandeyes

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
)

// Label values of meshprobe_thousandeyes_operations_total.
const (
	resultSuccess = "success"
	resultError   = "error"
	resultDryRun  = "dry_run"
)

var (
	writeOps   = []reconciler.Op{reconciler.OpCreate, reconciler.OpUpdate, reconciler.OpDelete, reconciler.OpAdopt}
	apiMethods = []string{"GET", "POST", "PUT", "DELETE"}
	apiCodes   = []string{"200", "201", "204", "400", "401", "403", "404", "409", "429", "500", "502", "503", "504", "other", "error"}
)

type metrics struct {
	ops       *prometheus.CounterVec
	api       *prometheus.CounterVec
	managed   prometheus.Gauge
	ignored   *prometheus.GaugeVec
	conflicts *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshprobe_thousandeyes_operations_total",
			Help: "ThousandEyes sync operations by op (list, create, update, delete, adopt) and result (success, error, dry_run).",
		}, []string{"op", "result"}),
		api: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "meshprobe_thousandeyes_api_requests_total",
			Help: "HTTP requests to the ThousandEyes API by method and status code (error: no response).",
		}, []string{"method", "code"}),
		managed: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "meshprobe_thousandeyes_managed_tests",
			Help: "ThousandEyes tests carrying this install's ownership marker after the last successful pass.",
		}),
		ignored: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "meshprobe_thousandeyes_ignored_configmaps",
			Help: "Selected ConfigMaps the last successful pass ignored, by reason (namespace_not_enabled).",
		}, []string{"reason"}),
		conflicts: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "meshprobe_thousandeyes_name_conflicts",
			Help: "Declared tests the last successful pass refused because another holds the name, by holder (configmap, install, unmanaged).",
		}, []string{"holder"}),
	}
	var err error
	if m.ops, err = register(reg, m.ops); err != nil {
		return nil, err
	}
	if m.api, err = register(reg, m.api); err != nil {
		return nil, err
	}
	if m.managed, err = register(reg, m.managed); err != nil {
		return nil, err
	}
	if m.ignored, err = register(reg, m.ignored); err != nil {
		return nil, err
	}
	if m.conflicts, err = register(reg, m.conflicts); err != nil {
		return nil, err
	}
	m.init()
	return m, nil
}

// register registers c, or reuses the collector already registered under its
// name, so a second controller on the same registry shares the series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *metrics) init() {
	m.ops.WithLabelValues("list", resultSuccess)
	m.ops.WithLabelValues("list", resultError)
	for _, op := range writeOps {
		for _, r := range []string{resultSuccess, resultError, resultDryRun} {
			m.ops.WithLabelValues(string(op), r)
		}
	}
	for _, method := range apiMethods {
		for _, code := range apiCodes {
			m.api.WithLabelValues(method, code)
		}
	}
	for _, r := range ignoredReasons {
		m.ignored.WithLabelValues(r)
	}
	for _, h := range reconciler.Holders {
		m.conflicts.WithLabelValues(h)
	}
}

// observeAPI counts one HTTP attempt; code 0 is a transport error.
func (m *metrics) observeAPI(method string, code int) {
	label := "error"
	if code != 0 {
		label = "other"
		for _, c := range apiCodes {
			if c == strconv.Itoa(code) {
				label = c
			}
		}
	}
	m.api.WithLabelValues(method, label).Inc()
}

// observePass counts a pass's list and writes and sets the managed gauge.
func (m *metrics) observePass(res reconciler.Result) {
	if res.ListErr != nil {
		m.ops.WithLabelValues("list", resultError).Inc()
		return
	}
	m.ops.WithLabelValues("list", resultSuccess).Inc()
	ignored, conflicts := map[string]int{}, map[string]int{}
	for _, src := range res.Sources {
		if src.Ignored != "" {
			ignored[src.Ignored]++
		}
		for _, c := range src.Conflicts {
			conflicts[c.Holder]++
		}
		for _, a := range src.Actions {
			result := resultSuccess
			switch {
			case a.DryRun:
				result = resultDryRun
			case a.Err != nil:
				result = resultError
			}
			m.ops.WithLabelValues(string(a.Op), result).Inc()
		}
	}
	m.managed.Set(float64(res.Managed))
	for _, r := range ignoredReasons {
		m.ignored.WithLabelValues(r).Set(float64(ignored[r]))
	}
	for _, h := range reconciler.Holders {
		m.conflicts.WithLabelValues(h).Set(float64(conflicts[h]))
	}
}

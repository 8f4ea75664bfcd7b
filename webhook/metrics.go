package webhook

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts admission decisions. Its methods are safe for concurrent use.
type Metrics struct {
	admissions *prometheus.CounterVec
}

// outcomes lists every (result, reason) pair the webhook can report. All of them
// are pre-initialised at zero, so the series exist before the first request.
var outcomes = []struct {
	result Result
	reason Reason
}{
	{ResultInjected, ReasonInjected},
	{ResultInjected, ReasonInvalidChecks},
	{ResultDenied, ReasonInvalidChecks},
	{ResultSkipped, ReasonAlreadyInjected},
	{ResultSkipped, ReasonOptedOut},
	{ResultSkipped, ReasonExcludedNamespace},
	{ResultSkipped, ReasonHostNetwork},
	{ResultSkipped, ReasonMirrorPod},
	{ResultSkipped, ReasonNameConflict},
	{ResultSkipped, ReasonWindows},
	{ResultSkipped, ReasonRunToCompletion},
	{ResultSkipped, ReasonPortConflict},
	{ResultInjected, ReasonInvalidSidecar},
	{ResultDenied, ReasonInvalidSidecar},
	{ResultSkipped, ReasonNotCreate},
	{ResultError, ReasonBadRequest},
	{ResultError, ReasonInternalError},
	{ResultError, ReasonOverloaded},
}

// NewMetrics registers meshprobe_webhook_admissions_total{result,reason} with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{admissions: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meshprobe_webhook_admissions_total",
		Help: "Pod admission requests the webhook answered, by result (injected, skipped, denied, error) and reason.",
	}, []string{"result", "reason"})}
	for _, o := range outcomes {
		m.admissions.WithLabelValues(string(o.result), string(o.reason))
	}
	if err := reg.Register(m.admissions); err != nil {
		return nil, fmt.Errorf("webhook: registering metrics: %w", err)
	}
	return m, nil
}

// observe counts one decision.
func (m *Metrics) observe(result Result, reason Reason) {
	m.admissions.WithLabelValues(string(result), string(reason)).Inc()
}

package heartbeat

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// answeredCodes are the HTTP status codes the heartbeat API answers with.
var answeredCodes = []int{200, 401, 403, 404, 405, 429, 503}

// metricKinds are the kind label values: the workload kinds, and unknown for
// paths that name no valid workload.
var metricKinds = []string{KindDeployment, KindStatefulSet, KindDaemonSet, kindUnknown}

// metrics holds the heartbeat counters, resolved up front so that counting a
// request costs no label lookup.
type metrics struct {
	requests map[string]map[int]prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meshprobe_heartbeat_requests_total",
		Help: "Heartbeat API requests by workload kind (unknown for paths naming none) and HTTP status code.",
	}, []string{"kind", "code"})
	if err := reg.Register(vec); err != nil {
		return nil, fmt.Errorf("heartbeat: registering metrics: %w", err)
	}
	m := &metrics{requests: map[string]map[int]prometheus.Counter{}}
	for _, kind := range metricKinds {
		m.requests[kind] = map[int]prometheus.Counter{}
		for _, code := range answeredCodes {
			m.requests[kind][code] = vec.WithLabelValues(kind, strconv.Itoa(code))
		}
	}
	return m, nil
}

// inc counts one answered request.
func (m *metrics) inc(kind string, code int) {
	if c, ok := m.requests[kind][code]; ok {
		c.Inc()
	}
}

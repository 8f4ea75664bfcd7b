package meshview

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// endpointOther labels requests for paths that are no endpoint.
const endpointOther = "other"

// Label values of the metrics, all pre-initialised.
var (
	metricEndpoints = []string{"members", "checks", "rtt", "rtt_nodes", endpointOther}
	answeredCodes   = []int{200, 400, 401, 403, 404, 405, 422, 429, 503}
)

// Results of the reviews sent to the API server.
const (
	reviewAllowed         = "allowed"
	reviewForbidden       = "forbidden"
	reviewUnauthenticated = "unauthenticated"
	reviewError           = "error"
	reviewRateLimited     = "rate_limited"
)

var reviewResults = []string{reviewAllowed, reviewForbidden, reviewUnauthenticated, reviewError, reviewRateLimited}

// metrics are the view server's series, resolved up front.
type metrics struct {
	requests  map[string]map[int]prometheus.Counter
	durations map[string]prometheus.Observer
	reviews   map[string]prometheus.Counter
	cacheHits prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, store *Store) (*metrics, error) {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meshprobe_view_requests_total",
		Help: "Cluster view API requests by endpoint (other for paths naming none) and HTTP status code.",
	}, []string{"endpoint", "code"})
	durations := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "meshprobe_view_request_duration_seconds",
		Help:    "Time to answer a cluster view API request, token review included, by endpoint.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"endpoint"})
	reviews := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "meshprobe_view_auth_reviews_total",
		Help: "Token and access reviews the cluster view asked the Kubernetes API server for, by result (rate_limited: not asked).",
	}, []string{"result"})
	hits := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "meshprobe_view_auth_cache_hits_total",
		Help: "Cluster view requests whose token's decision came from the cache.",
	})
	members := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "meshprobe_view_members",
		Help: "Members the cluster view holds, departed ones kept for 10 minutes included.",
	}, func() float64 { n, _ := store.Len(); return float64(n) })
	refused := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "meshprobe_view_refused_members_total",
		Help: "Digests and listed members the cluster view refused because it held its maximum of members.",
	}, func() float64 { _, n := store.Len(); return float64(n) })
	for _, c := range []prometheus.Collector{requests, durations, reviews, hits, members, refused} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("meshview: registering metrics: %w", err)
		}
	}
	m := &metrics{requests: map[string]map[int]prometheus.Counter{}, durations: map[string]prometheus.Observer{},
		reviews: map[string]prometheus.Counter{}, cacheHits: hits}
	for _, e := range metricEndpoints {
		m.requests[e] = map[int]prometheus.Counter{}
		for _, code := range answeredCodes {
			m.requests[e][code] = requests.WithLabelValues(e, strconv.Itoa(code))
		}
		m.durations[e] = durations.WithLabelValues(e)
	}
	for _, r := range reviewResults {
		m.reviews[r] = reviews.WithLabelValues(r)
	}
	return m, nil
}

// count records one answered request.
func (m *metrics) count(endpoint string, code int, seconds float64) {
	if c, ok := m.requests[endpoint][code]; ok {
		c.Inc()
	}
	m.durations[endpoint].Observe(seconds)
}

package meshview

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshprobe/meshprobe/gossip"
)

// Bounds of a query.
const (
	maxQueryBytes = 2048
	maxValueBytes = 253
	// DefaultLimit and MaxLimit bound the items of one list answer.
	DefaultLimit = 1000
	MaxLimit     = 10000
	maxOffset    = 1 << 20
)

// query reads and checks the parameters of one request: only the names an
// endpoint knows, each at most once.
type query struct {
	values url.Values
	err    error
}

func parseQuery(raw string, known ...string) query {
	if len(raw) > maxQueryBytes {
		return query{err: fmt.Errorf("the query string is %d bytes, more than the %d allowed", len(raw), maxQueryBytes)}
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return query{err: fmt.Errorf("the query string does not parse: %w", err)}
	}
	for name, vals := range v {
		switch {
		case !slices.Contains(known, name):
			return query{err: fmt.Errorf("unknown query parameter %q; this endpoint takes %s", name, strings.Join(known, ", "))}
		case len(vals) > 1:
			return query{err: fmt.Errorf("query parameter %q is given %d times; give it once", name, len(vals))}
		case len(vals[0]) > maxValueBytes:
			return query{err: fmt.Errorf("query parameter %q is longer than %d bytes", name, maxValueBytes)}
		}
	}
	return query{values: v}
}

// str returns a parameter, checked by check when set and not empty.
func (q *query) str(name string, check func(string) []string) string {
	s := q.values.Get(name)
	if q.err != nil || s == "" || check == nil {
		return s
	}
	if errs := check(s); len(errs) > 0 {
		q.err = fmt.Errorf("query parameter %s=%q: %s", name, s, strings.Join(errs, "; "))
	}
	return s
}

// oneOf returns a parameter that must be one of allowed, when set.
func (q *query) oneOf(name string, allowed ...string) string {
	return q.str(name, func(s string) []string {
		if slices.Contains(allowed, s) {
			return nil
		}
		return []string{"must be one of " + strings.Join(allowed, ", ")}
	})
}

// integer returns a parameter in [lo, hi], def when unset.
func (q *query) integer(name string, def, lo, hi int) int {
	s := q.values.Get(name)
	if q.err != nil || s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		q.err = fmt.Errorf("query parameter %s=%q: must be an integer from %d to %d", name, s, lo, hi)
		return def
	}
	return n
}

// podRef returns a namespace/pod parameter, required.
func (q *query) podRef(name string) (namespace, pod string) {
	s := q.values.Get(name)
	if q.err != nil {
		return "", ""
	}
	ns, pod, ok := strings.Cut(s, "/")
	switch {
	case s == "":
		q.err = fmt.Errorf("query parameter %s is required: %s=<namespace>/<pod>", name, name)
	case !ok:
		q.err = fmt.Errorf("query parameter %s=%q: give <namespace>/<pod>", name, s)
	case len(validation.IsDNS1123Label(ns)) > 0:
		q.err = fmt.Errorf("query parameter %s=%q: namespace %q is not a valid namespace name", name, s, ns)
	case len(validation.IsDNS1123Subdomain(pod)) > 0:
		q.err = fmt.Errorf("query parameter %s=%q: pod %q is not a valid pod name", name, s, pod)
	}
	return ns, pod
}

// page returns the limit and offset parameters.
func (q *query) page() (limit, offset int) {
	return q.integer("limit", DefaultLimit, 1, MaxLimit), q.integer("offset", 0, 0, maxOffset)
}

// Checks of parameter values.
var (
	isNamespace = validation.IsDNS1123Label
	isName      = validation.IsDNS1123Subdomain
	isLabel     = validation.IsValidLabelValue
	roles       = gossip.Roles
	states      = gossip.States
	healths     = []string{HealthHealthy, HealthDegraded, HealthDown, HealthUnknown}
	results     = append([]string{ResultFailing}, Results...)
)

// paginate returns items[offset:offset+limit].
func paginate[T any](items []T, limit, offset int) []T {
	if offset >= len(items) {
		return []T{}
	}
	return items[offset:min(len(items), offset+limit)]
}

package meshview

import (
	"errors"
	"net/http"
)

// API paths.
const (
	PathMembers  = "/api/v1/members"
	PathChecks   = "/api/v1/checks"
	PathRTT      = "/api/v1/rtt"
	PathRTTNodes = "/api/v1/rtt/nodes"
)

// MembersAnswer is the answer of /api/v1/members.
type MembersAnswer struct {
	// Replica is the control-plane member that answered: each replica holds
	// its own view, built from the same digests.
	Replica string       `json:"replica,omitempty"`
	Total   int          `json:"total"`
	Offset  int          `json:"offset"`
	Members []MemberView `json:"members"`
}

// ChecksAnswer is the answer of /api/v1/checks.
type ChecksAnswer struct {
	Replica string      `json:"replica,omitempty"`
	Total   int         `json:"total"`
	Failing int         `json:"failing"`
	Offset  int         `json:"offset"`
	Checks  []CheckView `json:"checks"`
}

// api answers the read API's endpoints from the Store. Requests reaching it
// are authorized.
type api struct {
	store   *Store
	replica string
}

// endpoint returns the handler of path and its metric label, or nil.
func (a *api) endpoint(path string) (http.HandlerFunc, string) {
	switch path {
	case PathMembers:
		return a.members, "members"
	case PathChecks:
		return a.checks, "checks"
	case PathRTT:
		return a.rtt, "rtt"
	case PathRTTNodes:
		return a.rttNodes, "rtt_nodes"
	}
	return nil, endpointOther
}

func (a *api) members(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "namespace", "role", "state", "health", "node", "limit", "offset")
	f := MemberFilter{Namespace: q.str("namespace", isNamespace), Role: q.oneOf("role", roles...),
		State: q.oneOf("state", states...), Health: q.oneOf("health", healths...), Node: q.str("node", isName)}
	limit, offset := q.page()
	if q.err != nil {
		writeError(w, r, http.StatusBadRequest, q.err.Error())
		return
	}
	all := a.store.Members(f)
	writeJSON(w, r, http.StatusOK, MembersAnswer{Replica: a.replica, Total: len(all), Offset: offset,
		Members: paginate(all, limit, offset)})
}

func (a *api) checks(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "namespace", "app", "check", "result", "node", "pod", "history", "limit", "offset")
	f := CheckFilter{Namespace: q.str("namespace", isNamespace), App: q.str("app", isLabel), Check: q.str("check", nil),
		Result: q.oneOf("result", results...), Node: q.str("node", isName), Pod: q.str("pod", isName),
		History: q.integer("history", a.store.cfg.History, 0, a.store.cfg.History)}
	limit, offset := q.page()
	if q.err != nil {
		writeError(w, r, http.StatusBadRequest, q.err.Error())
		return
	}
	all := a.store.Checks(f)
	ans := ChecksAnswer{Replica: a.replica, Total: len(all), Offset: offset, Checks: paginate(all, limit, offset)}
	for _, c := range all {
		if failing(c.Result) {
			ans.Failing++
		}
	}
	writeJSON(w, r, http.StatusOK, ans)
}

func (a *api) rtt(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "from", "to")
	fromNS, fromPod := q.podRef("from")
	toNS, toPod := q.podRef("to")
	if q.err != nil {
		writeError(w, r, http.StatusBadRequest, q.err.Error())
		return
	}
	ans, err := a.store.RTT(fromNS, fromPod, toNS, toPod)
	if errors.Is(err, ErrNotFound) {
		writeError(w, r, http.StatusNotFound, err.Error())
		return
	}
	writeJSON(w, r, http.StatusOK, ans)
}

func (a *api) rttNodes(w http.ResponseWriter, r *http.Request) {
	q := parseQuery(r.URL.RawQuery, "zone")
	zone := q.str("zone", isLabel)
	if q.err != nil {
		writeError(w, r, http.StatusBadRequest, q.err.Error())
		return
	}
	mx, err := a.store.NodeMatrix(zone)
	if errors.Is(err, ErrTooManyNodes) {
		writeError(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	writeJSON(w, r, http.StatusOK, mx)
}

package meshview

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

// apiServer serves the API's endpoints over s without authorization (the
// Server's authorization is tested against a real API server).
func apiServer(t *testing.T, s *Store) *httptest.Server {
	t.Helper()
	a := &api{store: s, replica: "meshprobe-system/cp-0/00000000"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, _ := a.endpoint(r.URL.Path)
		require.NotNil(t, h, r.URL.Path)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// get fetches path and decodes the JSON answer into out, returning the status.
func get(t *testing.T, srv *httptest.Server, path string, out any) int {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	require.NoError(t, json.NewDecoder(resp.Body).Decode(out))
	return resp.StatusCode
}

func populated(t *testing.T) *Store {
	t.Helper()
	s, _ := newTestStore(t)
	a, b := member("shop", "web-1", "n1"), member("bank", "api-1", "n2")
	s.Sync([]gossip.Member{a, b})
	s.Observe(a, Digest{Coord: coord(0), Checks: []CheckDigest{check("db", ResultFailure, t0, 1, "connection refused")},
		RTT: []PeerRTT{{Peer: b.Name, Seconds: 0.0015, At: t0}}})
	s.Observe(b, Digest{Coord: coord(0.002), Checks: []CheckDigest{check("db", ResultSuccess, t0, 0, "")}})
	return s
}

func TestAPIAnswers(t *testing.T) {
	srv := apiServer(t, populated(t))
	var members MembersAnswer
	require.Equal(t, 200, get(t, srv, "/api/v1/members?namespace=shop", &members))
	assert.Equal(t, 1, members.Total)
	assert.Equal(t, "web-1", members.Members[0].Pod)
	assert.Equal(t, HealthDegraded, members.Members[0].Health)
	assert.Equal(t, "meshprobe-system/cp-0/00000000", members.Replica)

	var checks ChecksAnswer
	require.Equal(t, 200, get(t, srv, "/api/v1/checks?result=failing", &checks))
	require.Equal(t, 1, checks.Total)
	assert.Equal(t, 1, checks.Failing)
	c := checks.Checks[0]
	assert.Equal(t, "web-1", c.Pod)
	assert.Equal(t, "n1", c.Node)
	assert.Equal(t, "connection refused", c.Error)
	assert.Equal(t, t0, c.FailingSince)
	require.Len(t, c.History, 1)

	var rtt RTTAnswer
	require.Equal(t, 200, get(t, srv, "/api/v1/rtt?from=bank/api-1&to=shop/web-1", &rtt))
	assert.Equal(t, SourceMeasured, rtt.Source)
	assert.InDelta(t, 0.0015, rtt.Seconds, 1e-12)

	var mx NodeMatrix
	require.Equal(t, 200, get(t, srv, "/api/v1/rtt/nodes", &mx))
	assert.Equal(t, []string{"n1", "n2"}, mx.Nodes)
	assert.Equal(t, SourceMeasured, mx.Sources[0][1])
}

func TestAPIPages(t *testing.T) {
	s, _ := newTestStore(t)
	var list []gossip.Member
	for _, pod := range []string{"a", "b", "c", "d", "e"} {
		list = append(list, member("shop", pod, "n"))
	}
	s.Sync(list)
	srv := apiServer(t, s)
	var ans MembersAnswer
	require.Equal(t, 200, get(t, srv, "/api/v1/members?limit=2&offset=3", &ans))
	assert.Equal(t, 5, ans.Total)
	require.Len(t, ans.Members, 2)
	assert.Equal(t, "d", ans.Members[0].Pod)
	require.Equal(t, 200, get(t, srv, "/api/v1/members?offset=9", &ans))
	assert.NotNil(t, ans.Members)
	assert.Empty(t, ans.Members)
}

func TestAPIRefusesBadQueries(t *testing.T) {
	srv := apiServer(t, populated(t))
	for path, want := range map[string]string{
		"/api/v1/members?colour=red":                     `unknown query parameter "colour"; this endpoint takes namespace, role, state, health, node, limit, offset`,
		"/api/v1/members?role=a&role=b":                  `query parameter "role" is given 2 times`,
		"/api/v1/members?role=boss":                      `role="boss": must be one of sidecar, agent, control-plane`,
		"/api/v1/members?namespace=Shop":                 `namespace="Shop"`,
		"/api/v1/members?limit=0":                        `limit="0": must be an integer from 1 to 10000`,
		"/api/v1/members?offset=-1":                      `offset="-1": must be an integer from 0 to`,
		"/api/v1/checks?result=broken":                   `must be one of failing, failure, timeout, success`,
		"/api/v1/checks?history=11":                      `history="11": must be an integer from 0 to 10`,
		"/api/v1/checks?app=" + strings.Repeat("a", 254): `query parameter "app" is longer than 253 bytes`,
		"/api/v1/checks?" + strings.Repeat("x", 2049):    "the query string is 2049 bytes",
		"/api/v1/rtt?to=shop/web-1":                      "query parameter from is required: from=<namespace>/<pod>",
		"/api/v1/rtt?from=shop&to=shop/web-1":            `from="shop": give <namespace>/<pod>`,
		"/api/v1/rtt?from=shop/web-1&to=shop/X_":         `pod "X_" is not a valid pod name`,
		"/api/v1/rtt/nodes?zone=a%20b":                   `zone="a b"`,
		"/api/v1/checks?x=%zz":                           "the query string does not parse",
	} {
		var e apiError
		require.Equal(t, http.StatusBadRequest, get(t, srv, path, &e), path)
		assert.Contains(t, e.Message, want, path)
		assert.Equal(t, 400, e.Status)
	}
	var e apiError
	require.Equal(t, http.StatusNotFound, get(t, srv, "/api/v1/rtt?from=shop/web-1&to=shop/nope", &e))
	assert.Equal(t, "to: no member runs in pod shop/nope: not found", e.Message)
}

package meshview

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/meshprobe/meshprobe/gossip"
)

// FuzzQuery sends any query string to every endpoint: the answer is 200, 404
// (rtt: no such pod) or 400 with a message, always a JSON object, never a
// panic.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{"", "namespace=shop", "limit=5&offset=2", "result=failing&history=3", "from=shop/a&to=shop/b",
		"zone=z1", "x=%zz", "role=agent&role=sidecar", "limit=99999999999999999999"} {
		f.Add(q)
	}
	s, _ := newTestStore(f)
	a, b := member("shop", "a", "n1"), member("shop", "b", "n2")
	s.Sync([]gossip.Member{a, b})
	s.Observe(a, Digest{Coord: coord(0), Checks: []CheckDigest{check("db", ResultFailure, t0, 1, "x")}})
	s.Observe(b, Digest{Coord: coord(0.001)})
	api := &api{store: s}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, path := range []string{PathMembers, PathChecks, PathRTT, PathRTTNodes} {
			r := httptest.NewRequest(http.MethodGet, path, nil)
			r.URL.RawQuery = raw
			w := httptest.NewRecorder()
			h, _ := api.endpoint(path)
			h(w, r)
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%s?%q: answer is not a JSON object: %v", path, raw, err)
			}
			switch w.Code {
			case http.StatusOK:
			case http.StatusBadRequest, http.StatusNotFound:
				if msg, _ := body["message"].(string); msg == "" {
					t.Fatalf("%s?%q: %d without a message", path, raw, w.Code)
				}
			default:
				t.Fatalf("%s?%q: status %d", path, raw, w.Code)
			}
		}
	})
}

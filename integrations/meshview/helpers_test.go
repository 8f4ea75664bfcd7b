package meshview

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/meshprobe/meshprobe/gossip"
)

// t0 is the tests' start time.
var t0 = time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)

// newTestStore returns a Store on a fake clock at t0.
func newTestStore(t testing.TB, change ...func(*StoreConfig)) (*Store, *clocktesting.FakeClock) {
	t.Helper()
	clk := clocktesting.NewFakeClock(t0)
	cfg := DefaultStoreConfig()
	cfg.Clock = clk
	for _, c := range change {
		c(&cfg)
	}
	s, err := NewStore(cfg)
	require.NoError(t, err)
	return s, clk
}

// member returns a live sidecar member of pod namespace/pod on node.
func member(namespace, pod, node string) gossip.Member {
	return gossip.Member{
		Name: gossip.MemberName(namespace, pod, "0123abcd-0000-0000-0000-000000000000"), State: gossip.StateAlive,
		Addr: "10.0.0.1:14100",
		Meta: gossip.Meta{Namespace: namespace, Pod: pod, Node: node, App: "web", Agent: "v1.2.3", Role: gossip.RoleSidecar,
			OwnerKind: "Deployment", OwnerName: "web", Keys: []string{"0123456789ab"}},
	}
}

// check returns a check digest that last ran at at.
func check(name, result string, at time.Time, failures int, errMsg string) CheckDigest {
	d := CheckDigest{Name: name, Type: "http", Result: result, LastRun: at, ConsecutiveFailures: failures, Error: errMsg}
	if result == ResultSuccess {
		d.LastSuccess = at
	}
	return d
}

// coord returns a coordinate at x seconds on the first axis.
func coord(x float64) *Coordinate {
	v := make([]float64, gossip.CoordinateDimensions)
	v[0] = x
	return &Coordinate{Vec: v, Error: 0.1, Height: 1e-5}
}

// fullDigest returns a digest of m as large as the budget allows, through
// the real encoder: checks checks (every third failing with a long error) and
// RTTs to peers, cut by Encode to MaxDigestBytes.
func fullDigest(tb testing.TB, m gossip.Member, checks int, peers []string, c *Coordinate, at time.Time) Digest {
	tb.Helper()
	d := Digest{Member: m.Name, Sent: at, Coord: c}
	for i := range checks {
		res, msg := ResultSuccess, ""
		if i%3 == 0 {
			res, msg = ResultFailure, fmt.Sprintf("GET https://svc-%d.shop.svc:8443/healthz: context deadline exceeded (Client.Timeout exceeded while awaiting headers) #%d", i, i)
		}
		d.Checks = append(d.Checks, check(fmt.Sprintf("check-%02d", i), res, at, 1, msg))
	}
	for i, p := range peers {
		d.RTT = append(d.RTT, PeerRTT{Peer: p, Seconds: 0.0004 + float64(i)*1e-6, At: at})
	}
	wire, err := d.Encode()
	require.NoError(tb, err)
	out, err := gossip.DecodeDigest(wire)
	require.NoError(tb, err)
	return out
}

package checks

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRendezvous(t *testing.T) {
	members := []string{"web-1-aaa", "web-2-bbb", "web-3-ccc", "web-4-ddd"}
	tests := []struct {
		name    string
		key     string
		members []string
		want    string
	}{
		{"no members", "k", nil, ""},
		{"one member", "k", []string{"only"}, "only"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Rendezvous(tc.key, tc.members))
		})
	}

	t.Run("order does not matter", func(t *testing.T) {
		for i := range 50 {
			key := fmt.Sprintf("ns/Deployment/web/check-%d", i)
			want := Rendezvous(key, members)
			rev := []string{members[3], members[2], members[1], members[0]}
			assert.Equal(t, want, Rendezvous(key, rev))
		}
	})

	t.Run("removing a loser keeps the winner, removing the winner moves only its keys", func(t *testing.T) {
		for i := range 200 {
			key := fmt.Sprintf("ns/Deployment/web/check-%d", i)
			winner := Rendezvous(key, members)
			var rest []string
			for _, m := range members {
				if m != winner {
					rest = append(rest, m)
				}
			}
			next := Rendezvous(key, rest)
			assert.NotEqual(t, winner, next)
			// Taking away anyone but the winner changes nothing.
			for _, gone := range rest {
				var without []string
				for _, m := range members {
					if m != gone {
						without = append(without, m)
					}
				}
				assert.Equal(t, winner, Rendezvous(key, without))
			}
		}
	})

	t.Run("spreads keys evenly", func(t *testing.T) {
		counts := map[string]int{}
		const keys = 4000
		for i := range keys {
			counts[Rendezvous(fmt.Sprintf("ns/Deployment/web/c%d", i), members)]++
		}
		for _, m := range members {
			assert.InDelta(t, keys/len(members), counts[m], float64(keys/len(members))*0.15, m)
		}
	})
}

// staticMembership is a Membership with a fixed, changeable member list.
type staticMembership struct {
	mu    sync.Mutex
	self  string
	peers []string
	calls int
}

func (s *staticMembership) LocalName() string { return s.self }

func (s *staticMembership) OwnerPeers(_, _, _ string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return append([]string(nil), s.peers...)
}

func (s *staticMembership) set(peers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peers = peers
}

func TestElection(t *testing.T) {
	t.Run("no owner runs locally", func(t *testing.T) {
		e := election{membership: &staticMembership{self: "a"}, namespace: "ns"}
		_, ok := e.runner("c")
		assert.True(t, ok)
	})
	t.Run("no membership runs locally", func(t *testing.T) {
		e := election{namespace: "ns", ownerKind: "Deployment", ownerName: "web"}
		_, ok := e.runner("c")
		assert.True(t, ok)
	})
	t.Run("exactly one of the replicas runs each check", func(t *testing.T) {
		names := []string{"a", "b", "c"}
		for i := range 30 {
			check := fmt.Sprintf("check-%d", i)
			runners := 0
			var elected []string
			for _, self := range names {
				e := election{membership: &staticMembership{self: self, peers: names}, namespace: "ns", ownerKind: "Deployment", ownerName: "web"}
				who, ok := e.runner(check)
				elected = append(elected, who)
				if ok {
					runners++
				}
			}
			require.Equal(t, 1, runners, check)
			assert.Equal(t, elected[0], elected[1])
			assert.Equal(t, elected[1], elected[2])
		}
	})
	t.Run("alone, a replica runs everything", func(t *testing.T) {
		e := election{membership: &staticMembership{self: "a", peers: []string{"a"}}, namespace: "ns", ownerKind: "StatefulSet", ownerName: "db"}
		who, ok := e.runner("c")
		assert.True(t, ok)
		assert.Equal(t, "a", who)
	})
	t.Run("a leaving replica, absent from its own list, runs nothing", func(t *testing.T) {
		for _, peers := range [][]string{nil, {"b"}} {
			e := election{membership: &staticMembership{self: "a", peers: peers}, namespace: "ns", ownerKind: "StatefulSet", ownerName: "db"}
			for i := range 20 {
				_, ok := e.runner(fmt.Sprintf("c%d", i))
				assert.False(t, ok)
			}
		}
	})
}

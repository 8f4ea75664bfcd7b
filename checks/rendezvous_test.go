package checks

import (
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
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
	peers map[string]string // member name → node name
	calls int
}

func (s *staticMembership) LocalName() string { return s.self }

func (s *staticMembership) OwnerPeerNodes(_, _, _ string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	return maps.Clone(s.peers)
}

// set makes peers the live members, all on one unnamed node.
func (s *staticMembership) set(peers ...string) { s.setNodes(onNode("", peers...)) }

// setNodes makes the keys of peers the live members, on their nodes.
func (s *staticMembership) setNodes(peers map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peers = peers
}

// onNode maps each member to node.
func onNode(node string, members ...string) map[string]string {
	out := make(map[string]string, len(members))
	for _, m := range members {
		out[m] = node
	}
	return out
}

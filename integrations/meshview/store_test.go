package meshview

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

func TestStoreKeepsTheLastRunsOfEachCheck(t *testing.T) {
	s, _ := newTestStore(t)
	m := member("shop", "web-1", "node-a")
	for i := range 15 {
		at := t0.Add(time.Duration(i) * 30 * time.Second)
		res, msg := ResultSuccess, ""
		if i >= 12 {
			res, msg = ResultFailure, fmt.Sprintf("refused #%d", i)
		}
		s.Observe(m, Digest{Member: m.Name, Checks: []CheckDigest{check("api", res, at, max(0, i-11), msg)}})
		// A digest that repeats the same run adds nothing.
		s.Observe(m, Digest{Member: m.Name, Checks: []CheckDigest{check("api", res, at, max(0, i-11), msg)}})
	}
	got := s.Checks(CheckFilter{History: 10})
	require.Len(t, got, 1)
	c := got[0]
	require.Len(t, c.History, 10, "the ring keeps History runs")
	assert.Equal(t, t0.Add(14*30*time.Second), c.History[0].At, "most recent first")
	assert.Equal(t, "refused #14", c.History[0].Error)
	assert.Equal(t, t0.Add(5*30*time.Second), c.History[9].At, "the oldest five fell out")
	assert.Equal(t, ResultSuccess, c.History[3].Result)
	assert.Equal(t, t0.Add(12*30*time.Second), c.FailingSince, "the streak's first failing run")
	assert.True(t, c.FailingSinceExact, "all 3 failing runs were seen")
	assert.Equal(t, 3, c.ConsecutiveFailures)
	assert.Len(t, s.Checks(CheckFilter{History: 2})[0].History, 2)
	assert.Empty(t, s.Checks(CheckFilter{})[0].History)
}

func TestFailingSinceIsInexactWhenTheStreakBeganUnseen(t *testing.T) {
	s, _ := newTestStore(t)
	m := member("shop", "web-1", "node-a")
	s.Observe(m, Digest{Checks: []CheckDigest{check("api", ResultTimeout, t0, 7, "timeout")}})
	c := s.Checks(CheckFilter{})[0]
	assert.Equal(t, t0, c.FailingSince)
	assert.False(t, c.FailingSinceExact, "a replica that started during the streak saw 1 of 7 failing runs")
	s.Observe(m, Digest{Checks: []CheckDigest{check("api", ResultSuccess, t0.Add(time.Minute), 0, "")}})
	c = s.Checks(CheckFilter{})[0]
	assert.True(t, c.FailingSince.IsZero(), "a success ends the streak")
}

func TestChecksMissingFromADigest(t *testing.T) {
	s, _ := newTestStore(t)
	m := member("shop", "web-1", "node-a")
	s.Observe(m, Digest{Checks: []CheckDigest{check("a", ResultSuccess, t0, 0, ""), check("b", ResultSuccess, t0, 0, "")}})
	s.Observe(m, Digest{Truncated: true, Checks: []CheckDigest{check("a", ResultSuccess, t0.Add(time.Minute), 0, "")}})
	assert.Len(t, s.Checks(CheckFilter{}), 2, "a truncated digest leaves out checks it had no room for")
	s.Observe(m, Digest{Checks: []CheckDigest{check("a", ResultSuccess, t0.Add(2*time.Minute), 0, "")}})
	got := s.Checks(CheckFilter{})
	require.Len(t, got, 1, "a complete digest without b: b was removed")
	assert.Equal(t, "a", got[0].Name)
}

func TestStoreBounds(t *testing.T) {
	s, _ := newTestStore(t, func(c *StoreConfig) { c.MaxMembers, c.MaxChecks, c.MaxPeerRTTs = 2, 3, 4 })
	var checks []CheckDigest
	var rtts []PeerRTT
	for i := range 10 {
		checks = append(checks, check(fmt.Sprintf("c%d", i), ResultSuccess, t0, 0, ""))
		rtts = append(rtts, PeerRTT{Peer: fmt.Sprintf("p%d", i), Seconds: 0.001, At: t0.Add(time.Duration(i) * time.Second)})
	}
	for i := range 3 {
		s.Observe(member("shop", fmt.Sprintf("web-%d", i), "n"), Digest{Checks: checks, RTT: rtts})
	}
	n, refused := s.Len()
	assert.Equal(t, 2, n)
	assert.Equal(t, uint64(1), refused)
	assert.Len(t, s.Checks(CheckFilter{Pod: "web-0"}), 3, "MaxChecks")
	s.mu.RLock()
	kept := s.members[member("shop", "web-0", "n").Name].rtts
	s.mu.RUnlock()
	require.Len(t, kept, 4, "MaxPeerRTTs")
	var peers []string
	for _, r := range kept {
		peers = append(peers, r.Peer)
	}
	assert.ElementsMatch(t, []string{"p6", "p7", "p8", "p9"}, peers, "the most recent are kept")
	assert.Equal(t, 4, cap(kept), "allocated once")

	bad := []PeerRTT{{Peer: "x", Seconds: -1, At: t0}, {Peer: "y", Seconds: 61, At: t0}, {Peer: "", Seconds: 1, At: t0}, {Peer: "z", Seconds: 0.1}}
	s.Observe(member("shop", "web-0", "n"), Digest{RTT: bad})
	s.mu.RLock()
	assert.Len(t, s.members[member("shop", "web-0", "n").Name].rtts, 4, "unbelievable RTTs are dropped")
	s.mu.RUnlock()
}

func TestMembersGoneAreKeptTenMinutes(t *testing.T) {
	s, clk := newTestStore(t)
	a, b, c := member("shop", "a", "n1"), member("shop", "b", "n1"), member("shop", "c", "n2")
	s.Sync([]gossip.Member{a, b, c})
	s.Observe(b, Digest{Checks: []CheckDigest{check("api", ResultSuccess, t0, 0, "")}})
	b.State, b.Since = gossip.StateLeft, t0
	clk.Step(time.Minute)
	s.Sync([]gossip.Member{a, b}) // c vanished unseen, b left
	views := map[string]MemberView{}
	for _, v := range s.Members(MemberFilter{}) {
		views[v.Pod] = v
	}
	require.Len(t, views, 3)
	assert.Equal(t, gossip.StateLeft, views["b"].State)
	assert.Equal(t, HealthDown, views["b"].Health)
	assert.Equal(t, gossip.StateDead, views["c"].State, "a live member that vanished counts as dead")
	assert.Equal(t, t0.Add(time.Minute), views["c"].Since)
	assert.Len(t, s.Checks(CheckFilter{Pod: "b"}), 1, "a gone member's last results stay")

	clk.Step(5 * time.Minute)
	s.Sync([]gossip.Member{a}) // b forgotten by memberlist too
	clk.Step(5*time.Minute + time.Second)
	s.Sync([]gossip.Member{a})
	assert.Len(t, s.Members(MemberFilter{}), 2, "c: gone 10m1s, forgotten; b: gone 5m1s, kept")
	clk.Step(5 * time.Minute)
	s.Sync([]gossip.Member{a})
	got := s.Members(MemberFilter{})
	require.Len(t, got, 1)
	assert.Equal(t, "a", got[0].Pod)
}

func TestMemberHealth(t *testing.T) {
	s, clk := newTestStore(t)
	healthy, failingM, stale, never, suspect := member("a", "healthy", "n"), member("a", "failing", "n"),
		member("a", "stale", "n"), member("a", "never", "n"), member("a", "suspect", "n")
	suspect.State = gossip.StateSuspect
	cp := member("meshprobe-system", "cp", "n")
	cp.Meta.Role = gossip.RoleControlPlane
	s.Sync([]gossip.Member{healthy, failingM, stale, never, suspect, cp})
	s.Observe(stale, Digest{})
	clk.Step(31 * time.Second)
	s.Observe(healthy, Digest{Checks: []CheckDigest{check("x", ResultSuccess, t0, 0, "")}})
	s.Observe(failingM, Digest{Checks: []CheckDigest{check("x", ResultFailure, t0, 1, "boom")}})
	s.Observe(suspect, Digest{})
	want := map[string]struct {
		health  string
		reasons []string
	}{
		"healthy": {HealthHealthy, nil},
		"failing": {HealthDegraded, []string{ReasonFailingChecks}},
		"stale":   {HealthDegraded, []string{ReasonStaleDigest}},
		"never":   {HealthUnknown, []string{ReasonNoDigest}},
		"suspect": {HealthDegraded, []string{ReasonSuspect}},
		"cp":      {HealthHealthy, nil},
	}
	for _, v := range s.Members(MemberFilter{}) {
		assert.Equal(t, want[v.Pod].health, v.Health, v.Pod)
		assert.Equal(t, want[v.Pod].reasons, v.Reasons, v.Pod)
	}
	f := s.Members(MemberFilter{})
	assert.Equal(t, 1, countWhere(f, func(v MemberView) bool { return v.FailingChecks == 1 }))
}

func countWhere[T any](items []T, pred func(T) bool) int {
	n := 0
	for _, it := range items {
		if pred(it) {
			n++
		}
	}
	return n
}

func TestMemberViewHidesAddressesAndKeys(t *testing.T) {
	s, _ := newTestStore(t)
	s.Sync([]gossip.Member{member("shop", "web-1", "n")})
	s.mu.RLock()
	for _, m := range s.members {
		assert.Empty(t, m.meta.Keys, "the Store keeps no key fingerprints")
	}
	s.mu.RUnlock()
	v := s.Members(MemberFilter{})[0]
	assert.Equal(t, "v1.2.3", v.Version)
	assert.Equal(t, TrustUnverified, v.Trust)
}

func TestVerifyMarksImpostors(t *testing.T) {
	s, _ := newTestStore(t, func(c *StoreConfig) {
		c.Verify = func(m gossip.Member) (string, bool) {
			switch m.Meta.Pod {
			case "liar":
				return "uid-mismatch", true
			case "unsure":
				return "", false
			}
			return "", true
		}
	})
	s.Sync([]gossip.Member{member("shop", "liar", "n"), member("shop", "honest", "n"), member("shop", "unsure", "n")})
	want := map[string]string{"liar": TrustImpostor, "honest": TrustVerified, "unsure": TrustUnverified}
	for _, v := range s.Members(MemberFilter{}) {
		assert.Equal(t, want[v.Pod], v.Trust, v.Pod)
		if v.Pod == "liar" {
			assert.Equal(t, "uid-mismatch", v.TrustReason)
		}
	}
}

func TestFilters(t *testing.T) {
	s, _ := newTestStore(t)
	a, b := member("shop", "web-1", "n1"), member("bank", "api-1", "n2")
	b.Meta.App, b.Meta.Role = "api", gossip.RoleAgent
	s.Sync([]gossip.Member{a, b})
	s.Observe(a, Digest{Checks: []CheckDigest{check("db", ResultFailure, t0, 1, "x"), check("cdn", ResultSuccess, t0, 0, "")}})
	s.Observe(b, Digest{Checks: []CheckDigest{check("db", ResultTimeout, t0, 1, "y"), check("dns", ResultPending, time.Time{}, 0, "")}})
	for _, tc := range []struct {
		f    CheckFilter
		want []string
	}{
		{CheckFilter{}, []string{"bank/db", "shop/db", "bank/dns", "shop/cdn"}},
		{CheckFilter{Namespace: "shop"}, []string{"shop/db", "shop/cdn"}},
		{CheckFilter{App: "api"}, []string{"bank/db", "bank/dns"}},
		{CheckFilter{Check: "db"}, []string{"bank/db", "shop/db"}},
		{CheckFilter{Result: ResultFailing}, []string{"bank/db", "shop/db"}},
		{CheckFilter{Result: ResultTimeout}, []string{"bank/db"}},
		{CheckFilter{Node: "n1", Result: ResultSuccess}, []string{"shop/cdn"}},
		{CheckFilter{Namespace: "none"}, nil},
	} {
		var got []string
		for _, c := range s.Checks(tc.f) {
			got = append(got, c.Namespace+"/"+c.Name)
		}
		assert.Equal(t, tc.want, got, "%+v", tc.f)
	}
	for _, tc := range []struct {
		f    MemberFilter
		want int
	}{
		{MemberFilter{}, 2}, {MemberFilter{Namespace: "bank"}, 1}, {MemberFilter{Role: gossip.RoleAgent}, 1},
		{MemberFilter{State: gossip.StateDead}, 0}, {MemberFilter{Health: HealthDegraded}, 2}, {MemberFilter{Node: "n1"}, 1},
	} {
		assert.Len(t, s.Members(tc.f), tc.want, "%+v", tc.f)
	}
}

package gossip

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// digestLog records the digests a member received.
type digestLog struct {
	mu     sync.Mutex
	got    map[string][]Digest // by sender name
	sender map[string]Member
}

func watchDigests(r *running) *digestLog {
	l := &digestLog{got: map[string][]Digest{}, sender: map[string]Member{}}
	r.OnDigest(func(from Member, d Digest) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.got[from.Name] = append(l.got[from.Name], d)
		l.sender[from.Name] = from
	})
	return l
}

// count returns how many digests came from each sender.
func (l *digestLog) count() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for name, ds := range l.got {
		out[name] = len(ds)
	}
	return out
}

func (l *digestLog) last(name string) (Member, Digest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ds := l.got[name]
	return l.sender[name], ds[len(ds)-1]
}

// sourceFor returns a digest source whose check names the member, with its
// echo RTT of the last minute.
func sourceFor(m *running) func() Digest {
	return func() Digest {
		now := time.Now()
		return Digest{
			Checks: []CheckDigest{{Name: "from-" + m.LocalName(), Type: "http", Result: "failure", LastRun: now,
				ConsecutiveFailures: 3, Error: "503"}},
			RTT: m.EchoRTT(now.Add(-time.Minute)),
		}
	}
}

func digestRefused(t *testing.T, r *running, reason string) float64 {
	t.Helper()
	return promtest.CounterValue(t, r.reg, "meshprobe_gossip_digests_refused_total", map[string]string{"reason": reason})
}

func digestCounter(t *testing.T, r *running, name string) float64 {
	t.Helper()
	return promtest.CounterValue(t, r.reg, name, nil)
}

// digestMesh starts two control-plane members (0, 1) and three sidecars (2-4),
// with a digest interval of 50 ms, and sources on the sidecars when sources is
// set. Every member watches for digests.
func digestMesh(t *testing.T, sources bool) ([]*running, []*digestLog) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ms := startCluster(t, 5, kf, func(i int, c *Config) {
		c.DigestInterval = 50 * time.Millisecond
		if i < 2 {
			c.Meta.Role, c.Meta.App = RoleControlPlane, "meshprobe"
		}
	})
	waitConverged(t, ms, 5)
	logs := make([]*digestLog, len(ms))
	for i, m := range ms {
		logs[i] = watchDigests(m)
		if i >= 2 && sources {
			m.SetDigestSource(sourceFor(m))
		}
	}
	return ms, logs
}

// TestDigestsReachTheControlPlaneOnly: the control-plane members receive the
// sidecars' digests, with the sender's member and the source's content; no
// sidecar receives any, and the control plane sends none.
func TestDigestsReachTheControlPlaneOnly(t *testing.T) {
	ms, logs := digestMesh(t, true)
	sidecars := ms[2:]
	require.Eventually(t, func() bool {
		for _, l := range logs[:2] {
			for _, s := range sidecars {
				if l.count()[s.LocalName()] < 3 {
					return false
				}
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "each control-plane member gets digests from every sidecar")

	for _, l := range logs[:2] {
		assert.Len(t, l.count(), len(sidecars), "digests come from sidecars only")
		for _, s := range sidecars {
			from, d := l.last(s.LocalName())
			assert.Equal(t, s.LocalName(), from.Name)
			assert.Equal(t, RoleSidecar, from.Meta.Role)
			assert.Equal(t, s.Addr().String(), from.Addr)
			assert.Equal(t, s.LocalName(), d.Member)
			require.Len(t, d.Checks, 1)
			assert.Equal(t, CheckDigest{Name: "from-" + s.LocalName(), Type: "http", Result: "failure",
				LastRun: d.Checks[0].LastRun, ConsecutiveFailures: 3, Error: "503"}, d.Checks[0])
			assert.WithinDuration(t, time.Now(), d.Sent, 5*time.Second)
			require.NotEmpty(t, d.RTT, "the sidecar's echo RTT")
			for _, r := range d.RTT {
				assert.Contains(t, aliveNames(s), r.Peer)
				assert.NotEqual(t, s.LocalName(), r.Peer)
				assert.Less(t, r.Seconds, 0.1, "loopback")
				assert.WithinDuration(t, d.Sent, r.At, time.Minute)
			}
		}
	}
	for i, l := range logs[2:] {
		assert.Empty(t, l.count(), "sidecar %d received no digest", i)
		assert.Zero(t, digestRefused(t, sidecars[i], DigestRefusedUnwanted), "nothing was sent to a sidecar")
		assert.Positive(t, digestCounter(t, sidecars[i], "meshprobe_gossip_digests_sent_total"))
	}
	for _, cp := range ms[:2] {
		assert.Zero(t, digestCounter(t, cp, "meshprobe_gossip_digests_sent_total"), "the control plane has no source")
		assert.Positive(t, digestCounter(t, cp, "meshprobe_gossip_digests_received_total"))
		// Not sender: under load a member may be taken for dead for a moment,
		// and its digests meanwhile are rightly refused.
		for _, reason := range []string{DigestRefusedSize, DigestRefusedType, DigestRefusedVersion, DigestRefusedMalformed, DigestRefusedUnwanted} {
			assert.Zero(t, digestRefused(t, cp, reason), reason)
		}
	}
}

// TestDigestRefusedOnTheWire: digests that a key holder sends in another
// member's name, over the budget, of a later version, or not as one UDP
// packet are refused and counted, and never reach the receiver.
func TestDigestRefusedOnTheWire(t *testing.T) {
	ms, logs := digestMesh(t, false)
	cp, liar, victim := ms[0], ms[2], ms[3]
	to := nodeOf(t, liar, cp.LocalName())
	ml := liar.memberlist()

	spoofed, err := Digest{Member: victim.LocalName(), Sent: time.Now()}.Encode()
	require.NoError(t, err)
	require.NoError(t, ml.SendBestEffort(to, spoofed))
	waitRefused(t, cp, DigestRefusedSender, 1)

	unknown, err := Digest{Member: "ns/nobody/00000000", Sent: time.Now()}.Encode()
	require.NoError(t, err)
	require.NoError(t, ml.SendBestEffort(to, unknown))
	waitRefused(t, cp, DigestRefusedSender, 2)

	// Its own name, but over a reliable stream: no source address to check.
	own, err := Digest{Member: liar.LocalName(), Sent: time.Now()}.Encode()
	require.NoError(t, err)
	require.NoError(t, ml.SendReliable(to, own))
	waitRefused(t, cp, DigestRefusedSender, 3)

	oversize := append(append([]byte(nil), own...), make([]byte, MaxDigestBytes)...)
	require.NoError(t, ml.SendBestEffort(to, oversize))
	waitRefused(t, cp, DigestRefusedSize, 1)

	later := append([]byte(nil), own...)
	later[1] = DigestVersion + 1
	require.NoError(t, ml.SendBestEffort(to, later))
	waitRefused(t, cp, DigestRefusedVersion, 1)
	assert.Equal(t, 1.0, unsupported(t, cp.reg, FormatDigest), "a later digest version is counted with the other formats' versions")

	require.NoError(t, ml.SendBestEffort(to, []byte("hello")))
	waitRefused(t, cp, DigestRefusedType, 1)

	// A member without a receiver takes no digests.
	victim.OnDigest(nil)
	require.NoError(t, ml.SendBestEffort(nodeOf(t, liar, victim.LocalName()), own))
	waitRefused(t, victim, DigestRefusedUnwanted, 1)

	// The same digest as one UDP packet from its member is taken.
	require.NoError(t, ml.SendBestEffort(to, own))
	require.Eventually(t, func() bool { return logs[0].count()[liar.LocalName()] == 1 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, map[string]int{liar.LocalName(): 1}, logs[0].count(), "only the valid digest reached the receiver")
	assert.Equal(t, 1.0, digestCounter(t, cp, "meshprobe_gossip_digests_received_total"))
}

// nodeOf returns the memberlist node named name, as r sees it.
func nodeOf(t *testing.T, r *running, name string) *memberlist.Node {
	t.Helper()
	for _, n := range r.memberlist().Members() {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("%s does not know %s", r.LocalName(), name)
	return nil
}

func waitRefused(t *testing.T, r *running, reason string, want float64) {
	t.Helper()
	require.Eventually(t, func() bool { return digestRefused(t, r, reason) == want }, 5*time.Second, 10*time.Millisecond,
		fmt.Sprintf("%s refuses a digest for reason %s", r.LocalName(), reason))
}

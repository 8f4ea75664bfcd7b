package gossip

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// startCluster starts n members sharing keyFile, the others joining the first.
func startCluster(t *testing.T, n int, keyFile string, adjust func(i int, c *Config)) []*running {
	t.Helper()
	var out []*running
	var seed string
	for i := range n {
		cfg := testConfig(t, fmt.Sprintf("ns/pod-%d/0000000%d", i, i), keyFile)
		if seed != "" {
			cfg.Join = []string{seed}
		}
		if adjust != nil {
			adjust(i, &cfg)
		}
		r := startMesh(t, cfg)
		addr := waitRunning(t, r)
		if seed == "" {
			seed = addr
		}
		out = append(out, r)
	}
	return out
}

func waitConverged(t *testing.T, ms []*running, want int) {
	t.Helper()
	require.Eventually(t, func() bool {
		for _, m := range ms {
			if len(aliveNames(m)) != want {
				return false
			}
		}
		return true
	}, 15*time.Second, 20*time.Millisecond, "members did not converge to %d", want)
}

func TestMeshConvergesAndMeasuresRTT(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ms := startCluster(t, 4, kf, nil)
	waitConverged(t, ms, 4)

	want := aliveNames(ms[0])
	for _, m := range ms[1:] {
		assert.Equal(t, want, aliveNames(m), "every member lists the same membership")
	}
	require.Eventually(t, func() bool {
		for _, mem := range ms[0].Members() {
			if !mem.Self && (mem.LastRTTSeconds == nil || mem.LastSWIMRTTSeconds == nil) {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond, "echo and SWIM RTT measured to every peer")
	for _, mem := range ms[0].Members() {
		if !mem.Self {
			assert.Less(t, *mem.LastRTTSeconds, 0.1, "loopback RTT is small")
			assert.Equal(t, "app", mem.Meta.App)
		}
	}
	st := ms[0].Status()
	assert.Equal(t, Status{State: StatusRunning, Members: 4}, st)
}

func TestMeshAloneStillRunsAndJoinsLater(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	// A seed that refuses: a port nobody listens on.
	deadSeed := freeport.Addr(t)

	cfg := testConfig(t, "ns/lonely/00000001", kf)
	cfg.Join = []string{deadSeed}
	lonely := startMesh(t, cfg)
	waitRunning(t, lonely)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, Status{State: StatusRunning, Members: 1, Alone: true}, lonely.Status())

	// A member that joins the lonely one makes it not alone.
	other := testConfig(t, "ns/other/00000002", kf)
	other.Join = []string{lonely.Addr().String()}
	waitRunning(t, startMesh(t, other))
	require.Eventually(t, func() bool { return !lonely.Status().Alone }, 5*time.Second, 20*time.Millisecond)
}

func TestMeshWrongKeyRejected(t *testing.T) {
	good, bad := keyDir(t), keyDir(t)
	writeKeys(t, good, newKey(t))
	writeKeys(t, bad, newKey(t))
	ms := startCluster(t, 2, good, nil)
	waitConverged(t, ms, 2)

	cfg := testConfig(t, "ns/intruder/00000009", bad)
	cfg.Join = []string{ms[0].Addr().String()}
	intruder := startMesh(t, cfg)
	waitRunning(t, intruder)
	time.Sleep(time.Second) // several join attempts and gossip rounds

	assert.Equal(t, []string{"ns/intruder/00000009"}, aliveNames(intruder), "the intruder stays alone")
	for _, m := range ms {
		assert.NotContains(t, aliveNames(m), "ns/intruder/00000009", "no member accepts the intruder")
	}
	for _, mem := range intruder.Members() {
		assert.Nil(t, mem.LastRTTSeconds, "echo probes with the wrong key get no answer")
	}
}

func TestMeshWaitsForKeyFile(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ms := startCluster(t, 1, kf, nil)

	missing := keyDir(t)
	cfg := testConfig(t, "ns/late/00000005", missing)
	cfg.Join = []string{ms[0].Addr().String()}
	late := startMesh(t, cfg)
	require.Eventually(t, func() bool { return late.Status().Detail != "" }, 2*time.Second, 10*time.Millisecond)
	st := late.Status()
	assert.Equal(t, StatusWaitingForKey, st.State)
	assert.Contains(t, st.Detail, "not gossiping until the key file")
	assert.False(t, st.Ready())
	assert.False(t, late.Addr().IsValid(), "no socket is open without a key")

	// An invalid file does not start it either.
	require.NoError(t, writeFile(missing, "not base64!\n"))
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, StatusWaitingForKey, late.Status().State)
	assert.Contains(t, late.Status().Detail, "line 1: not base64")

	data, err := readFile(kf)
	require.NoError(t, err)
	require.NoError(t, writeFile(missing, data))
	waitConverged(t, []*running{ms[0], late}, 2)
}

func TestMeshGracefulLeaveAndFailure(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ms := startCluster(t, 4, kf, nil)
	waitConverged(t, ms, 4)

	ms[3].stop() // graceful
	hardStop(t, ms[2])
	require.Eventually(t, func() bool {
		for _, m := range ms[:2] {
			states := map[string]string{}
			for _, mem := range m.Members() {
				states[mem.Name] = mem.State
			}
			if states[ms[3].LocalName()] != StateLeft || states[ms[2].LocalName()] != StateDead {
				return false
			}
		}
		return true
	}, 15*time.Second, 20*time.Millisecond, "the left member is reported left, the killed one dead")
	assert.Equal(t, Status{State: StatusRunning, Members: 2}, ms[0].Status())
	assert.Equal(t, []string{ms[0].LocalName(), ms[1].LocalName()}, aliveNames(ms[0]))

	// Departed members drop out of the list after the retention.
	require.Eventually(t, func() bool { return len(ms[0].Members()) == 2 }, 10*time.Second, 50*time.Millisecond)
}

func TestMeshPartitionHeals(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	ms := startCluster(t, 3, kf, nil)
	waitConverged(t, ms, 3)

	// Stop a member's memberlist from answering by swapping its keyring to a key
	// no one else has: the rest see it fail, then it comes back.
	lone := ms[2]
	origin := Keys(slices.Clone(lone.keys()))
	require.NoError(t, applyKeys(lone.keyring, Keys{newKey(t)}))
	require.Eventually(t, func() bool {
		return !slices.Contains(aliveNames(ms[0]), lone.LocalName()) && len(aliveNames(lone)) == 1
	}, 15*time.Second, 20*time.Millisecond, "both sides see the partition")

	require.NoError(t, applyKeys(lone.keyring, origin))
	waitConverged(t, ms, 3)
}

func TestMeshLinkDelayInHistogram(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	const delay = 15 * time.Millisecond
	ms := startCluster(t, 2, kf, func(i int, c *Config) {
		c.PeerLabels = []string{PeerLabelApp} // histogramFor finds the peer by peer_app
		if i == 1 {
			c.linkDelay = delay // every packet member 1 sends takes 15 ms longer
			c.Meta.App = "slow"
		}
	})
	waitConverged(t, ms, 2)
	require.Eventually(t, func() bool {
		return sampleCount(t, ms[0], "slow", ProbeEcho) >= 20 && sampleCount(t, ms[0], "slow", ProbeSWIM) >= 2
	}, 15*time.Second, 50*time.Millisecond)

	for _, probe := range []string{ProbeEcho, ProbeSWIM} {
		h := histogramFor(t, ms[0], "slow", probe)
		assert.Zero(t, bucketCount(h, 0.01), "%s: no sample under 10 ms: the delay is in every sample", probe)
	}
	h := histogramFor(t, ms[0], "slow", ProbeEcho)
	assert.GreaterOrEqual(t, 2*bucketCount(h, 0.025), h.GetSampleCount(), "echo: the median is within 15..25 ms")
	// Member 1's own probes to member 0 leave late as well.
	assert.Zero(t, bucketCount(histogramFor(t, ms[1], "app", ProbeEcho), 0.01))
}

func TestMeshJoinsSeedsByHostName(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	seed := startCluster(t, 1, kf, nil)[0]
	cfg := testConfig(t, "ns/dns/00000007", kf)
	cfg.Join = []string{fmt.Sprintf("localhost:%d", seed.Addr().Port())} // resolved on every attempt
	joiner := startMesh(t, cfg)
	waitConverged(t, []*running{seed, joiner}, 2)

	// A member's own address among the resolved seeds is skipped.
	self := netip.MustParseAddrPort("127.0.0.1:7946")
	m := &Mesh{cfg: Config{Join: []string{"localhost:7946", "127.0.0.1:7000", "bad-seed"}}, selfAddr: self, log: joiner.log}
	got := m.resolveSeeds(t.Context())
	assert.NotContains(t, got, "127.0.0.1:7946")
	assert.Contains(t, got, "127.0.0.1:7000")
}

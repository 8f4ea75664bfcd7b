package sidecar

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

const (
	convergeWithin = 30 * time.Second
	poll           = 200 * time.Millisecond
)

// waitAlive waits until every pod in from lists exactly want as alive.
func (l *lab) waitAlive(from []int, want []string, within time.Duration, msg string) {
	l.t.Helper()
	sort.Strings(want)
	require.Eventually(l.t, func() bool {
		for _, i := range from {
			got := l.alivePods(i)
			sort.Strings(got)
			if !slices.Equal(got, want) {
				return false
			}
		}
		return true
	}, within, poll, msg)
}

func podNames(is ...int) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = fmt.Sprintf("pod-%d", i)
	}
	return out
}

// TestSidecarMesh runs real meshprobe-sidecar processes, each in its own network
// namespace (127.0.0.x without root), through the life of a mesh: convergence,
// RTT and metrics, a killed member, an intruder with the wrong key, a partition
// and its heal, and a graceful leave.
func TestSidecarMesh(t *testing.T) {
	l := newLab(t, false)
	key := newKey(t)
	l.start(0, podSpec{app: "web", keys: [][]byte{key}, join: []int{1}, flags: []string{"--rtt-peer-labels=peer_app,peer_node"}})
	l.start(1, podSpec{app: "web", keys: [][]byte{key}, join: []int{0}})
	l.start(2, podSpec{app: "web", keys: [][]byte{key}, join: []int{0}})
	l.start(3, podSpec{app: "victim", keys: [][]byte{key}, join: []int{0}})
	all := []int{0, 1, 2, 3}

	t.Run("converge", func(t *testing.T) {
		l.waitAlive(all, podNames(all...), convergeWithin, "all four converge to the same membership")
		code, body, err := l.get(0, PathReadyz)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, code, "%s", body)
	})

	t.Run("rtt and metrics", func(t *testing.T) {
		require.Eventually(t, func() bool {
			r := l.members(0)
			if r == nil {
				return false
			}
			for _, m := range r.Members {
				if !m.Self && m.LastRTTSeconds == nil {
					return false
				}
			}
			return true
		}, 20*time.Second, poll, "pod 0 measured RTT to every peer")
		metrics := l.metrics(0)
		// Pod 0 opted in to peer_app and peer_node; zones come from the labels file.
		assert.Contains(t, metrics, `meshprobe_gossip_rtt_seconds_bucket{peer_app="victim",peer_namespace="lab",peer_node="node-1",peer_zone="zone-1",probe="echo",same_node="false",same_zone="false",le="0.001"}`)
		assert.Contains(t, l.metrics(1), `meshprobe_gossip_probe_failures_total{peer_namespace="lab",peer_zone="zone-0",same_node="false",same_zone="false"} `, "pod 1: the bounded labels only")
		assert.Contains(t, metrics, `meshprobe_gossip_members{state="alive"} 4`)
		assert.NotContains(t, metrics, "peer_pod=", "no per-pod labels by default")
		promtest.CheckMetrics(t, "sidecar /metrics", []byte(metrics))
	})

	t.Run("killed member is dead for all and its series vanish", func(t *testing.T) {
		l.kill(3)
		require.Eventually(t, func() bool {
			for _, i := range []int{0, 1, 2} {
				if l.states(i)["pod-3"] != gossip.StateDead {
					return false
				}
			}
			return true
		}, convergeWithin, poll, "pods 0-2 mark the killed pod dead")
		metrics := l.metrics(0)
		assert.NotContains(t, metrics, `peer_app="victim"`, "the dead peer's series are gone")
		assert.Contains(t, metrics, `meshprobe_gossip_members{state="dead"} 1`)
		assert.Contains(t, metrics, `meshprobe_gossip_members{state="alive"} 3`)
	})

	t.Run("wrong key is rejected", func(t *testing.T) {
		l.start(4, podSpec{app: "intruder", keys: [][]byte{newKey(t)}, join: []int{0, 1}})
		require.Eventually(t, func() bool { return l.members(4) != nil }, 10*time.Second, poll)
		time.Sleep(5 * time.Second) // joins retried, gossip rounds passed
		r := l.members(4)
		require.NotNil(t, r)
		assert.True(t, r.Status.Alone, "the intruder stays alone")
		for _, i := range []int{0, 1, 2} {
			assert.NotContains(t, l.states(i), "pod-4", "pod %d never lists the intruder", i)
		}
		l.kill(4)
	})

	t.Run("partition and heal", func(t *testing.T) {
		if !l.netns {
			t.Skip("a partition needs network namespaces (root)")
		}
		l.link(2, false)
		l.waitAlive([]int{0, 1}, podNames(0, 1), convergeWithin, "pods 0 and 1 see pod 2 gone")
		l.waitAliveDirect(2, podNames(2))
		l.link(2, true)
		l.waitAlive([]int{0, 1, 2}, podNames(0, 1, 2), 60*time.Second, "the partition heals")
	})

	t.Run("graceful leave on SIGTERM", func(t *testing.T) {
		p := l.pods[1]
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
		select {
		case err := <-p.exited:
			require.NoError(t, err, "exit code 0 after leaving")
			p.exited <- nil
		case <-time.After(20 * time.Second):
			t.Fatal("the sidecar did not exit within 20 s of SIGTERM")
		}
		require.Eventually(t, func() bool { return l.states(0)["pod-1"] == gossip.StateLeft }, 10*time.Second, poll,
			"pod 0 reports pod 1 as left, not dead")
	})
}

// waitAliveDirect waits until pod i, cut off from the bridge, lists only want.
func (l *lab) waitAliveDirect(i int, want []string) {
	l.waitAlive([]int{i}, want, convergeWithin, fmt.Sprintf("pod %d sees itself alone", i))
}

// metrics returns pod i's /metrics text.
func (l *lab) metrics(i int) string {
	l.t.Helper()
	code, b, err := l.get(i, PathMetrics)
	require.NoError(l.t, err)
	require.Equal(l.t, http.StatusOK, code)
	return string(b)
}

// TestSidecarKeyLifecycle: a sidecar without a key does not gossip and says so;
// it joins once the key file appears; a full rotation (add, switch primary, drop)
// keeps every member connected at every step, and each member announces the keys
// it holds; afterwards the old key no longer gets in.
func TestSidecarKeyLifecycle(t *testing.T) {
	l := newLab(t, false)
	k1, k2 := newKey(t), newKey(t)
	// The members list shows key fingerprints only in the "all" view.
	showKeys := []string{EnvMembersView + "=" + string(MembersViewAll)}
	for i := range 3 {
		l.start(i, podSpec{app: "web", keys: [][]byte{k1}, join: []int{0, 1}, env: showKeys})
	}
	late := l.start(3, podSpec{app: "web", join: []int{0}, env: showKeys}) // no key file yet
	l.waitAlive([]int{0, 1, 2}, podNames(0, 1, 2), convergeWithin, "three keyed pods converge")

	var body []byte
	require.Eventually(t, func() bool {
		var code int
		var err error
		code, body, err = l.get(3, PathReadyz)
		return err == nil && code == http.StatusServiceUnavailable
	}, 10*time.Second, poll)
	assert.Contains(t, string(body), gossip.StatusWaitingForKey)
	assert.Contains(t, string(body), "not gossiping until the key file")
	for _, i := range []int{0, 1, 2} {
		assert.NotContains(t, l.states(i), "pod-3")
	}

	writeKeyFile(t, late.keyDir, k1)
	all := []int{0, 1, 2, 3}
	l.waitAlive(all, podNames(all...), convergeWithin, "the late pod joins once its key appears")

	fp1, fp2 := gossip.Fingerprint(k1), gossip.Fingerprint(k2)
	steps := []struct {
		name string
		keys [][]byte
		want []string
	}{
		{"add the new key", [][]byte{k1, k2}, []string{fp1, fp2}},
		{"switch the primary", [][]byte{k2, k1}, []string{fp2, fp1}},
		{"drop the old key", [][]byte{k2}, []string{fp2}},
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			for _, i := range all {
				writeKeyFile(t, l.pods[i].keyDir, step.keys...)
			}
			require.Eventually(t, func() bool {
				for _, i := range all {
					r := l.members(i)
					require.NotNil(t, r)
					require.Len(t, aliveOf(r), 4, "no member is cut off during the rotation (pod %d)", i)
					for _, m := range r.Members {
						if !slices.Equal(m.Meta.Keys, step.want) {
							return false
						}
					}
				}
				return true
			}, 20*time.Second, poll, "every member announces keys %v", step.want)
		})
	}

	t.Run("the old key no longer gets in", func(t *testing.T) {
		l.start(4, podSpec{app: "web", keys: [][]byte{k1}, join: []int{0}})
		time.Sleep(4 * time.Second)
		r := l.members(4)
		require.NotNil(t, r)
		assert.True(t, r.Status.Alone)
		assert.Len(t, aliveOf(l.members(0)), 4)
	})
}

func aliveOf(r *membersResponse) []gossip.Member {
	var out []gossip.Member
	for _, m := range r.Members {
		if m.State == gossip.StateAlive || m.State == gossip.StateSuspect {
			out = append(out, m)
		}
	}
	return out
}

// TestSidecarRTTMatchesPing compares, in the same run, the median RTT that
// meshprobe reports between two network namespaces with the median that ping
// (kernel ICMP echo) measures on the same pair: they agree within 100 µs.
func TestSidecarRTTMatchesPing(t *testing.T) {
	l := newLab(t, true)
	pingBin, err := exec.LookPath("ping")
	if err != nil {
		t.Skip("ping (iputils-ping) not installed: hack/test-deps.sh installs it")
	}
	key := newKey(t)
	l.start(0, podSpec{app: "a", keys: [][]byte{key}, join: []int{1}, flags: []string{"--rtt-interval=100ms"}})
	l.start(1, podSpec{app: "b", keys: [][]byte{key}, join: []int{0}, flags: []string{"--rtt-interval=100ms"}})
	l.waitAlive([]int{0, 1}, podNames(0, 1), convergeWithin, "two pods converge")

	const samples = 60
	pingOut := make(chan []byte, 1)
	go func() {
		out, _ := exec.Command("ip", "netns", "exec", l.space(0), pingBin, "-n", "-c", strconv.Itoa(samples), "-i", "0.1", l.addr(1)).Output()
		pingOut <- out
	}()
	ours := map[time.Time]float64{}
	deadline := time.Now().Add(30 * time.Second)
	for len(ours) < samples && time.Now().Before(deadline) {
		if r := l.members(0); r != nil {
			for _, m := range r.Members {
				if m.Meta.Pod == "pod-1" && m.LastRTTSeconds != nil {
					ours[m.LastRTTAt] = *m.LastRTTSeconds
				}
			}
		}
		time.Sleep(30 * time.Millisecond)
	}
	pings := parsePing(t, <-pingOut)
	require.GreaterOrEqual(t, len(pings), samples/2, "ping answered")
	require.GreaterOrEqual(t, len(ours), samples/2, "meshprobe measured")
	var oursList []float64
	for _, v := range ours {
		oursList = append(oursList, v)
	}
	mp, mo := median(pings), median(oursList)
	t.Logf("median RTT: ping %.1f µs, meshprobe %.1f µs (%d and %d samples)", mp*1e6, mo*1e6, len(pings), len(oursList))
	assert.InDelta(t, mp, mo, 100e-6, "meshprobe's median RTT is within 100 µs of ping's")
}

// parsePing extracts the time=X ms values from ping's output, in seconds.
func parsePing(t *testing.T, out []byte) []float64 {
	t.Helper()
	var rtts []float64
	for _, line := range strings.Split(string(out), "\n") {
		_, after, ok := strings.Cut(line, "time=")
		if !ok {
			continue
		}
		ms, err := strconv.ParseFloat(strings.TrimSuffix(strings.Fields(after)[0], "ms"), 64)
		require.NoError(t, err, line)
		rtts = append(rtts, ms/1000)
	}
	return rtts
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// TestSidecarChecksRunOnOne runs a runOn: one check on three replicas of one
// Deployment: exactly one replica runs it, all agree which; when that one is
// killed, another takes over.
func TestSidecarChecksRunOnOne(t *testing.T) {
	l := newLab(t, false)
	key := newKey(t)
	annotation := "- name: once\n  type: tcp\n  address: 127.0.0.1:1\n  interval: 1s\n  timeout: 500ms\n  runOn: one\n"
	for i := range 3 {
		l.start(i, podSpec{app: "web", keys: [][]byte{key}, join: []int{0, 1}, checks: annotation})
	}
	l.waitAlive([]int{0, 1, 2}, podNames(0, 1, 2), convergeWithin, "three replicas converge")

	runner := l.waitSingleRunner([]int{0, 1, 2})
	var idx int
	_, err := fmt.Sscanf(runner, "lab/pod-%d/", &idx)
	require.NoError(t, err, runner)
	l.kill(idx)
	rest := slices.DeleteFunc([]int{0, 1, 2}, func(i int) bool { return i == idx })
	next := l.waitSingleRunner(rest)
	assert.NotEqual(t, runner, next, "another replica took over")
}

// waitSingleRunner waits until every pod in pods names the same runner for the
// check "once", exactly one of them runs it and the others stand by; it returns
// the runner's member name.
func (l *lab) waitSingleRunner(pods []int) string {
	l.t.Helper()
	var runner string
	require.Eventually(l.t, func() bool {
		runners, running := map[string]bool{}, 0
		for _, i := range pods {
			code, b, err := l.get(i, PathChecks)
			if err != nil || code != http.StatusOK {
				return false
			}
			var rep checks.Report
			if json.Unmarshal(b, &rep) != nil || len(rep.Checks) != 1 {
				return false
			}
			st := rep.Checks[0]
			runners[st.Runner] = true
			if st.LastResult != checks.StateStandby && st.LastResult != checks.StatePending && st.LastResult != "" {
				running++
			}
		}
		for r := range runners {
			runner = r
		}
		return len(runners) == 1 && running == 1
	}, convergeWithin, poll, "exactly one replica runs the check")
	return runner
}

// TestSidecarMeshSurvivesAPause stops every sidecar at once for 5 s, as a VM
// pause or a node-wide freeze would, and resumes them: probes that were in
// flight time out together, but no member may be marked dead, and every pod
// lists all four alive right after the pause and for 5 s more.
func TestSidecarMeshSurvivesAPause(t *testing.T) {
	l := newLab(t, false)
	key := newKey(t)
	all := []int{0, 1, 2, 3}
	for _, i := range all {
		l.start(i, podSpec{app: "web", keys: [][]byte{key}, join: []int{0}})
	}
	l.waitAlive(all, podNames(all...), convergeWithin, "all four converge")

	l.signalAll(all, syscall.SIGSTOP)
	time.Sleep(5 * time.Second)
	l.signalAll(all, syscall.SIGCONT)
	l.waitAlive(all, podNames(all...), 5*time.Second, "every pod lists all four right after the pause")
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(poll) {
		for _, i := range all {
			require.Len(t, l.alivePods(i), len(all), "pod %d lost a member after the pause", i)
		}
	}
	for _, i := range all {
		b, err := os.ReadFile(l.pods[i].log)
		require.NoError(t, err)
		var deaths []string
		for line := range strings.Lines(string(b)) {
			if strings.Contains(line, "state=dead") {
				deaths = append(deaths, line)
			}
		}
		assert.Empty(t, deaths, "pod %d marked a member dead", i)
	}
}

// signalAll sends sig to the sidecar processes of pods.
func (l *lab) signalAll(pods []int, sig syscall.Signal) {
	l.t.Helper()
	for _, i := range pods {
		require.NoError(l.t, l.pods[i].cmd.Process.Signal(sig))
	}
}

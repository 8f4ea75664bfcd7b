package sidecar

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/checks"
	"github.com/meshprobe/meshprobe/gossip"
)

// agentSpec is a node agent of the meshprobe-agent DaemonSet as the agents
// overlay runs it: agent mode from the env, its checks file in a directory the
// kubelet would fill from the ConfigMap meshprobe-cluster-checks.
func (l *lab) agentSpec(key []byte, join []int, checksDir string) podSpec {
	return podSpec{app: "meshprobe-agent", keys: [][]byte{key}, join: join,
		env: []string{"MESHPROBE_MODE=agent", "POD_NAMESPACE=meshprobe-system",
			"MESHPROBE_OWNER_KIND=DaemonSet", "MESHPROBE_OWNER_NAME=meshprobe-agent",
			"MESHPROBE_CHECKS_FILE=" + filepath.Join(checksDir, "checks.yaml"), "MESHPROBE_MEMBERS_VIEW=all"},
		flags: []string{"--rtt-peer-labels=peer_node"}}
}

// checkStatus returns pod i's status of the check name, false when it has none.
func (l *lab) checkStatus(i int, name string) (checks.Status, bool) {
	code, b, err := l.get(i, PathChecks)
	if err != nil || code != http.StatusOK {
		return checks.Status{}, false
	}
	var rep checks.Report
	if json.Unmarshal(b, &rep) != nil {
		return checks.Status{}, false
	}
	i = slices.IndexFunc(rep.Checks, func(s checks.Status) bool { return s.Name == name })
	if i < 0 {
		return checks.Status{}, false
	}
	return rep.Checks[i], true
}

// runs reports whether st is a check this member runs (not standing by).
func runs(st checks.Status) bool {
	switch st.LastResult {
	case checks.StateStandby, checks.StateUnscheduled, checks.StatePending, "":
		return false
	}
	return true
}

// TestAgentsJoinTheMesh runs two node agents (real meshprobe-sidecar processes
// in agent mode, on nodes 0 and 1) and an injected sidecar: one mesh, the
// agents announced with the role agent, node-to-node RTT series on the agents,
// the cluster checks from the shared file on the agents (an all-agents check on
// both, a node-pattern check on node-1's agent only, a runOn: one check on
// exactly one, which fails over when it dies), and none of them on the sidecar.
func TestAgentsJoinTheMesh(t *testing.T) {
	l := newLab(t, false)
	key := newKey(t)
	checksDir := t.TempDir()
	atomicWrite(t, checksDir, map[string]string{"checks.yaml": tcpChecks("every") +
		"- name: once\n  type: tcp\n  address: 127.0.0.1:1\n  interval: 1s\n  timeout: 500ms\n  runOn: one\n" +
		"- name: node1\n  type: tcp\n  address: 127.0.0.1:1\n  interval: 1s\n  timeout: 500ms\n  runOn: node-1*\n"})
	l.start(0, l.agentSpec(key, []int{1, 2}, checksDir))
	l.start(1, l.agentSpec(key, []int{0, 2}, checksDir))
	l.start(2, podSpec{app: "web", keys: [][]byte{key}, join: []int{0}, env: []string{"MESHPROBE_MEMBERS_VIEW=all"}})
	l.waitAlive([]int{0, 1, 2}, podNames(0, 1, 2), convergeWithin, "two agents and a sidecar converge")

	r := l.members(2)
	require.NotNil(t, r)
	assert.Equal(t, 2, r.Counts.LiveByRole[gossip.RoleAgent], "the sidecar counts two agents")
	assert.Equal(t, 1, r.Counts.LiveByRole[gossip.RoleSidecar])
	_, ok := l.checkStatus(2, "every")
	assert.False(t, ok, "the sidecar does not run the cluster checks")

	require.Eventually(t, func() bool {
		a, okA := l.checkStatus(0, "every")
		b, okB := l.checkStatus(1, "every")
		return okA && okB && runs(a) && runs(b)
	}, convergeWithin, poll, "both agents run the all-agents check")
	require.Eventually(t, func() bool {
		a, okA := l.checkStatus(0, "node1")
		b, okB := l.checkStatus(1, "node1")
		return okA && okB && a.LastResult == checks.StateUnscheduled && runs(b)
	}, convergeWithin, poll, "the node-pattern check runs on node-1's agent only")
	runner := l.waitOneAgentRuns([]int{0, 1})
	var idx int
	_, err := fmt.Sscanf(runner, "meshprobe-system/pod-%d/", &idx)
	require.NoError(t, err, runner)

	require.Eventually(t, func() bool {
		return l.hasSeries(0, `meshprobe_gossip_rtt_seconds_count{peer_namespace="meshprobe-system",peer_node="node-1",peer_zone="zone-1",probe="echo",same_node="false",same_zone="false"}`)
	}, convergeWithin, poll, "agent 0 has node-to-node RTT series to node-1")

	l.kill(idx)
	next := l.waitOneAgentRuns([]int{1 - idx})
	assert.NotEqual(t, runner, next, "the other agent took over the runOn: one check")
}

// waitOneAgentRuns waits until the agents agree on one runner of the check
// "once", which is one of them, and exactly one runs it; it returns the runner.
func (l *lab) waitOneAgentRuns(agents []int) string {
	l.t.Helper()
	var runner string
	require.Eventually(l.t, func() bool {
		runners, running := map[string]bool{}, 0
		for _, i := range agents {
			st, ok := l.checkStatus(i, "once")
			if !ok {
				return false
			}
			runners[st.Runner] = true
			if runs(st) {
				running++
			}
		}
		for r := range runners {
			runner = r
		}
		return len(runners) == 1 && running == 1
	}, convergeWithin, poll, "exactly one agent runs the runOn: one check")
	return runner
}

// hasSeries reports whether pod i's /metrics has series (name and labels).
func (l *lab) hasSeries(i int, series string) bool {
	code, b, err := l.get(i, PathMetrics)
	return err == nil && code == http.StatusOK && strings.Contains(string(b), series+" ")
}

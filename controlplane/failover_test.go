package controlplane

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestLeaderFailoverProcesses runs two real meshprobe-webhook processes against a
// real kube-apiserver, as the control plane's ServiceAccount with the RBAC from
// manifests/base, and measures how long the heartbeat API is gone when the
// leader is killed (SIGKILL: a crash) and when it is stopped (SIGTERM: a pod
// deletion or rollout), with the default lease settings (10s/7s/2s).
func TestLeaderFailoverProcesses(t *testing.T) {
	env := testenv.Start(t)
	bin := webhookBinary(t)
	installControlPlaneRBAC(t, env.Client)
	kubeconfig := impersonatingKubeconfig(t, env.KubeconfigPath, cpSA, "system:serviceaccounts", "system:serviceaccounts:"+cpNamespace)
	keyDir := writeGossipKey(t, env.Client)
	seedHealthyDeployment(t, env.Client)
	for _, pod := range []string{"cp-a", "cp-b"} {
		createControlPlanePod(t, env.Client, pod)
	}
	gossipPorts := map[string]int{"cp-a": freeport.TCPAndUDP(t), "cp-b": freeport.TCPAndUDP(t)}
	join := fmt.Sprintf("127.0.0.1:%d", gossipPorts["cp-a"])
	start := func(pod string) *replica {
		return startReplica(t, bin, pod, kubeconfig, keyDir, join, gossipPorts[pod])
	}

	a := start("cp-a")
	waitLeader(t, env.Client, a, 60*time.Second)
	verdict := a.heartbeat(t)
	require.NotNil(t, verdict.Mesh, "the heartbeat sees the control plane's gossip member")
	b := start("cp-b")
	require.Eventually(t, func() bool { b.requireRunning(t); return b.metric(t, "meshprobe_leader") == "0" }, 60*time.Second, 200*time.Millisecond, "the follower is up")
	assert.Equal(t, "1", a.metric(t, "meshprobe_leader"))
	assert.Equal(t, "", roleLabel(t, env.Client, "cp-b"))

	crash := failover(t, env.Client, a, b, syscall.SIGKILL)
	t.Logf("FAILOVER SIGKILL (crash): Lease taken after %s, pods relabelled after %s, heartbeats served after %s",
		crash.lease, crash.label, crash.serve)
	assert.Less(t, crash.serve, 30*time.Second)

	a = start("cp-a")
	require.Eventually(t, func() bool { a.requireRunning(t); return a.metric(t, "meshprobe_leader") == "0" }, 60*time.Second, 200*time.Millisecond, "the restarted replica follows")
	graceful := failover(t, env.Client, b, a, syscall.SIGTERM)
	t.Logf("FAILOVER SIGTERM (graceful): Lease taken after %s, pods relabelled after %s, heartbeats served after %s",
		graceful.lease, graceful.label, graceful.serve)
	assert.Less(t, graceful.serve, 10*time.Second, "a released Lease is taken over at the follower's next retry")
	assert.Equal(t, 0, b.exitCode(t), "a stopped leader exits cleanly")
}

// failoverTimes are measured from the signal to the old leader.
type failoverTimes struct{ lease, label, serve time.Duration }

// failover signals the leader and measures until the follower holds the Lease,
// carries the only role label and answers heartbeats.
func failover(t *testing.T, client kubernetes.Interface, leader, follower *replica, sig syscall.Signal) failoverTimes {
	t.Helper()
	require.NoError(t, leader.cmd.Process.Signal(sig))
	begin := time.Now()
	var got failoverTimes
	require.Eventually(t, func() bool {
		follower.requireRunning(t)
		since := time.Since(begin)
		if got.lease == 0 && leaseHolder(t, client) == follower.pod {
			got.lease = since
		}
		if got.label == 0 && roleLabel(t, client, follower.pod) == contract.RoleLeader && roleLabel(t, client, leader.pod) == "" {
			got.label = since
		}
		if got.serve == 0 && follower.heartbeatCode() == http.StatusOK {
			got.serve = since
		}
		return got.lease > 0 && got.label > 0 && got.serve > 0
	}, 60*time.Second, 50*time.Millisecond, "the follower takes over")
	assert.Equal(t, "1", follower.metric(t, "meshprobe_leader"))
	return got
}

// replica is one meshprobe-webhook process.
type replica struct {
	pod                      string
	cmd                      *exec.Cmd
	heartbeatURL, metricsURL string
	logPath                  string
	exited                   chan struct{}
}

func startReplica(t *testing.T, bin, pod, kubeconfig, keyDir, join string, gossipPort int) *replica {
	t.Helper()
	hb, metrics, probes, webhookPort := freeport.TCP(t), freeport.TCP(t), freeport.TCP(t), freeport.TCP(t)
	r := &replica{pod: pod, exited: make(chan struct{}),
		heartbeatURL: fmt.Sprintf("http://127.0.0.1:%d/api/healthz/shop/deployment/web?token=%s", hb, cpToken),
		metricsURL:   fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics),
		logPath:      filepath.Join(t.TempDir(), pod+".log"),
	}
	logFile, err := os.Create(r.logPath)
	require.NoError(t, err)
	r.cmd = exec.Command(bin,
		"--kubeconfig="+kubeconfig, "--namespace="+cpNamespace, "--cert-dir="+t.TempDir(),
		"--webhook-host=127.0.0.1", "--webhook-port="+strconv.Itoa(webhookPort), "--native-sidecar=true",
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probes), fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--heartbeat-addr=127.0.0.1:%d", hb), fmt.Sprintf("--view-addr=127.0.0.1:%d", freeport.TCP(t)),
		"--gossip-bind-address=127.0.0.1",
		"--gossip-port="+strconv.Itoa(gossipPort), "--gossip-join="+join, "--gossip-key-dir="+keyDir,
		"--log-format=json")
	r.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), contract.EnvPodName + "=" + pod,
		contract.EnvPodNamespace + "=" + cpNamespace, contract.EnvPodIP + "=127.0.0.1", heartbeat.EnvAuthToken + "=" + cpToken}
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	require.NoError(t, r.cmd.Start())
	go func() { _ = r.cmd.Wait(); logFile.Close(); close(r.exited) }()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(20 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			data, _ := os.ReadFile(r.logPath)
			t.Logf("log of %s:\n%s", pod, tail(string(data), 40))
		}
	})
	return r
}

// requireRunning fails the test at once, with the replica's log, when it exited.
func (r *replica) requireRunning(t *testing.T) {
	select {
	case <-r.exited:
		data, _ := os.ReadFile(r.logPath)
		require.FailNow(t, r.pod+" exited: "+r.cmd.ProcessState.String(), tail(string(data), 40))
	default:
	}
}

func (r *replica) exitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit", r.pod)
	}
	return r.cmd.ProcessState.ExitCode()
}

func (r *replica) heartbeatCode() int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(r.heartbeatURL)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (r *replica) heartbeat(t *testing.T) heartbeat.Verdict {
	t.Helper()
	resp, err := http.Get(r.heartbeatURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var v heartbeat.Verdict
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

// metric returns the value of an unlabelled series on the replica's /metrics, "" when absent.
func (r *replica) metric(t *testing.T, name string) string {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(r.metricsURL)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

func waitLeader(t *testing.T, client kubernetes.Interface, r *replica, timeout time.Duration) {
	t.Helper()
	require.Eventually(t, func() bool {
		r.requireRunning(t)
		return leaseHolder(t, client) == r.pod && roleLabel(t, client, r.pod) == contract.RoleLeader && r.heartbeatCode() == http.StatusOK
	}, timeout, 100*time.Millisecond, "%s leads, carries the role label and serves heartbeats", r.pod)
}

func leaseHolder(t *testing.T, client kubernetes.Interface) string {
	l, err := client.CoordinationV1().Leases(cpNamespace).Get(t.Context(), contract.LeaseName, metav1.GetOptions{})
	if err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

func roleLabel(t *testing.T, client kubernetes.Interface, pod string) string {
	p, err := client.CoreV1().Pods(cpNamespace).Get(t.Context(), pod, metav1.GetOptions{})
	require.NoError(t, err)
	return p.Labels[contract.LabelRole]
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

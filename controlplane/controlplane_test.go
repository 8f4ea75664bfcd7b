package controlplane

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

const (
	cpNamespace = contract.DefaultNamespace
	cpSA        = "system:serviceaccount:" + cpNamespace + ":meshprobe"
	cpToken     = "failover-token"
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

func TestControlPlaneOptions(t *testing.T) {
	kubeconfig := offlineKubeconfig(t)
	t.Setenv(heartbeat.EnvAuthToken, "")
	t.Setenv(heartbeat.EnvRateLimit, "")
	build := func(args ...string) (*controlPlane, *bytes.Buffer, error) {
		o, err := parseOptions(append([]string{"--kubeconfig=" + kubeconfig, "--gossip-key-dir=" + t.TempDir()}, args...), io.Discard)
		require.NoError(t, err)
		logs := &bytes.Buffer{}
		cp, err := newControlPlane(o, slog.New(slog.NewTextHandler(logs, nil)), prometheus.NewRegistry())
		return cp, logs, err
	}

	cp, logs, err := build()
	require.NoError(t, err)
	assert.Contains(t, logs.String(), "heartbeat API is off: set AUTH_TOKEN_BASIC")
	assert.Contains(t, logs.String(), "ThousandEyes sync is off")
	assert.Equal(t, []string{"informers", "gossip", "leader-election"}, componentNames(cp))
	assert.Empty(t, cp.readyChecks(), "no ThousandEyes sync, no extra readiness check")

	t.Setenv(heartbeat.EnvAuthToken, "tok")
	_, _, err = build("--heartbeat-rate-limit=lots")
	require.ErrorContains(t, err, `--heartbeat-rate-limit: heartbeat: RATE_LIMIT "lots"`)
	_, _, err = build("--leader-pod-selector=a in (")
	require.ErrorContains(t, err, "--leader-pod-selector")
	_, _, err = build("--leader-renew-deadline=20s")
	require.ErrorContains(t, err, "must be longer than renew deadline")

	cp, logs, err = build("--leader-elect=false", "--gossip=false")
	require.NoError(t, err)
	assert.Equal(t, []string{"informers"}, componentNames(cp))
	assert.Contains(t, logs.String(), "leader election is off")
}

func TestControlPlaneOffWithoutClientConfig(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "absent"))
	t.Setenv("HOME", t.TempDir())
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	logs := &bytes.Buffer{}
	cp, err := newControlPlane(o, slog.New(slog.NewTextHandler(logs, nil)), prometheus.NewRegistry())
	require.NoError(t, err)
	assert.Empty(t, cp.components())
	assert.Contains(t, logs.String(), "control plane is off")

	o.kubeconfig = filepath.Join(t.TempDir(), "absent")
	_, err = newControlPlane(o, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	require.Error(t, err, "an explicit --kubeconfig that cannot be loaded is an error")
}

func componentNames(cp *controlPlane) []string {
	var names []string
	for _, c := range cp.components() {
		names = append(names, c.name)
	}
	return names
}

// offlineKubeconfig writes a kubeconfig for a server that is never contacted.
func offlineKubeconfig(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, os.WriteFile(path, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600))
	return path
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
		fmt.Sprintf("--heartbeat-addr=127.0.0.1:%d", hb), "--gossip-bind-address=127.0.0.1",
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

// installControlPlaneRBAC creates the namespace, ServiceAccount and RBAC of
// manifests/base exactly as written.
func installControlPlaneRBAC(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	var ns corev1.Namespace
	decodeManifest(t, "namespace.yaml", &ns)
	_, err := client.CoreV1().Namespaces().Create(ctx, &ns, metav1.CreateOptions{})
	require.NoError(t, err)
	var sa corev1.ServiceAccount
	decodeManifest(t, "serviceaccount.yaml", &sa)
	_, err = client.CoreV1().ServiceAccounts(cpNamespace).Create(ctx, &sa, metav1.CreateOptions{})
	require.NoError(t, err)
	docs := splitManifest(t, "rbac.yaml")
	require.Len(t, docs, 4, "rbac.yaml: ClusterRole, ClusterRoleBinding, Role, RoleBinding")
	var cr rbacv1.ClusterRole
	var crb rbacv1.ClusterRoleBinding
	var role rbacv1.Role
	var rb rbacv1.RoleBinding
	for i, o := range []any{&cr, &crb, &role, &rb} {
		require.NoError(t, yaml.UnmarshalStrict(docs[i], o))
	}
	rbac := client.RbacV1()
	_, err = rbac.ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.Roles(cpNamespace).Create(ctx, &role, metav1.CreateOptions{})
	require.NoError(t, err)
	_, err = rbac.RoleBindings(cpNamespace).Create(ctx, &rb, metav1.CreateOptions{})
	require.NoError(t, err)
}

func decodeManifest(t *testing.T, file string, into any) {
	t.Helper()
	docs := splitManifest(t, file)
	require.Len(t, docs, 1, file)
	require.NoError(t, yaml.UnmarshalStrict(docs[0], into), file)
}

// splitManifest returns the YAML documents of manifests/base/<file> that hold an object.
func splitManifest(t *testing.T, file string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "manifests", "base", file))
	require.NoError(t, err)
	var docs [][]byte
	for _, d := range bytes.Split(data, []byte("\n---\n")) {
		if bytes.Contains(d, []byte("kind:")) {
			docs = append(docs, d)
		}
	}
	return docs
}

// impersonatingKubeconfig writes a copy of the admin kubeconfig that acts as user.
func impersonatingKubeconfig(t *testing.T, admin, user string, groups ...string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(admin)
	require.NoError(t, err)
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate, ai.ImpersonateGroups = user, groups
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*cfg, path))
	return path
}

// writeGossipKey writes one key to the key file the replicas read (a kubelet
// would mount it from the Secret) and to the source Secret.
func writeGossipKey(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	line := []byte(base64.StdEncoding.EncodeToString(key) + "\n")
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, contract.GossipKeySecretKey), line, 0o600))
	_, err = client.CoreV1().Secrets(cpNamespace).Create(t.Context(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: contract.GossipKeySecretName},
		Data:       map[string][]byte{contract.GossipKeySecretKey: line},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return dir
}

// seedHealthyDeployment writes a Deployment with an Available status (no
// controllers run here), for the heartbeat to answer 200 about.
func seedHealthyDeployment(t *testing.T, client kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	_, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	d, err := client.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	d.Status = appsv1.DeploymentStatus{Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	_, err = client.AppsV1().Deployments("shop").UpdateStatus(ctx, d, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// createControlPlanePod stands in for a replica's pod (there is no kubelet), with
// the labels of manifests/base/deployment.yaml's pod template.
func createControlPlanePod(t *testing.T, client kubernetes.Interface, name string) {
	t.Helper()
	var dep appsv1.Deployment
	require.NoError(t, yaml.UnmarshalStrict(splitManifest(t, "deployment.yaml")[0], &dep))
	require.Equal(t, "Deployment", dep.Kind)
	labels := dep.Spec.Template.Labels
	labels[appsv1.DefaultDeploymentUniqueLabelKey] = "5d8f7c9b4"
	_, err := client.CoreV1().Pods(cpNamespace).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{ServiceAccountName: "meshprobe", AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: dep.Spec.Template.Spec.SecurityContext,
			Containers: []corev1.Container{{Name: "meshprobe-webhook", Image: "meshprobe-webhook",
				SecurityContext: dep.Spec.Template.Spec.Containers[0].SecurityContext}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/integrations/gossipkeys"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/memberverify"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestImpostorWithTheKey runs a real control-plane replica (the leader) and a
// real sidecar of shop/web-1, and two sidecars that hold the key but lie about
// their pod, both announcing Deployment shop/web: "ghost" claims shop/web-2,
// which does not exist, and "thief" claims the existing pod shop/db-0 (with
// its real UID) from an address that is not db-0's. The leader flags both
// (meshprobe_mesh_impostor_members, a GossipImpostor Event each), the
// heartbeat of shop/web counts only the real sidecar (the liars neither hide
// nor cause MeshUnreachable), and a key rotation, which the liars never
// follow, completes without waiting for them.
func TestImpostorWithTheKey(t *testing.T) {
	env := testenv.Start(t)
	installControlPlaneRBAC(t, env.Client)
	kubeconfig := impersonatingKubeconfig(t, env.KubeconfigPath, cpSA, "system:serviceaccounts", "system:serviceaccounts:"+cpNamespace)
	keyDir := writeGossipKey(t, env.Client)
	seedHealthyDeployment(t, env.Client)
	createControlPlanePod(t, env.Client, "cp-a")
	setPodStatus(t, env.Client, cpNamespace, "cp-a", "127.0.0.1")
	ensureDefaultServiceAccount(t, env.Client, "shop")
	web1 := createMemberPod(t, env.Client, "web-1", "127.0.0.2", true)
	db0 := createMemberPod(t, env.Client, "db-0", "127.0.0.5", false)

	cpKeys, web1Keys := t.TempDir(), t.TempDir()
	for _, dir := range []string{cpKeys, web1Keys} {
		copyKeyFile(t, keyDir, dir)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go mirrorKeySecret(ctx, env.Client, cpKeys, web1Keys) // the kubelet's part: only the honest members follow the Secret

	cpPort := freeport.TCPAndUDP(t)
	cp := startReplica(t, webhookBinary(t), "cp-a", kubeconfig, cpKeys, fmt.Sprintf("127.0.0.1:%d", cpPort), cpPort)
	require.Eventually(t, func() bool { cp.requireRunning(t); return leaseHolder(t, env.Client) == "cp-a" },
		60*time.Second, 200*time.Millisecond, "cp-a leads")
	honest := podIdentity{namespace: "shop", pod: "web-1", ip: "127.0.0.2", uid: string(web1.UID), ownerKind: "Deployment", ownerName: "web"}
	web := startSidecarAs(t, web1Keys, cpPort, honest)
	startSidecarAs(t, keyDir, cpPort, podIdentity{namespace: "shop", pod: "web-2", ip: "127.0.0.8",
		uid: "90a57000-0000-4000-8000-000000000000", ownerKind: "Deployment", ownerName: "web"})
	startSidecarAs(t, keyDir, cpPort, podIdentity{namespace: "shop", pod: "db-0", ip: "127.0.0.9",
		uid: string(db0.UID), ownerKind: "Deployment", ownerName: "web"})
	leader := &target{name: "leader", metricsURL: cp.metricsURL}
	require.Eventually(t, func() bool { cp.requireRunning(t); return leader.members("alive") == "4" },
		60*time.Second, 200*time.Millisecond, "the leader, the sidecar and both liars gossip together")

	t.Run("the leader flags both liars", func(t *testing.T) {
		require.Eventually(t, func() bool {
			return impostors(leader, memberverify.ReasonUnknownPod) == "1" && impostors(leader, memberverify.ReasonIPMismatch) == "1"
		}, 60*time.Second, 500*time.Millisecond, "meshprobe_mesh_impostor_members after the grace period")
		for _, r := range memberverify.Reasons() {
			if r != memberverify.ReasonUnknownPod && r != memberverify.ReasonIPMismatch {
				assert.Equal(t, "0", impostors(leader, r), "reason %s", r)
			}
		}
		assert.Eventually(t, func() bool {
			return strings.Contains(impostorEvents(t, env.Client, "shop", "db-0"), "claims pod shop/db-0, but its gossip address is not the pod's IP (ip-mismatch)")
		}, 20*time.Second, 200*time.Millisecond, "the Event on the pod the thief claims")
		assert.Eventually(t, func() bool {
			return strings.Contains(impostorEvents(t, env.Client, cpNamespace, "cp-a"), "claims pod shop/web-2, but no live pod has that namespace and name (unknown-pod)")
		}, 20*time.Second, 200*time.Millisecond, "the Event about a pod that does not exist, on the leader's own pod")
		assert.Empty(t, impostorEvents(t, env.Client, "shop", "web-1"), "the honest sidecar is not flagged")
	})

	t.Run("the liars neither cause nor hide MeshUnreachable", func(t *testing.T) {
		v := cp.heartbeat(t)
		assert.Equal(t, heartbeat.StatusHealthy, v.Status, "%+v", v.Reasons)
		assert.Equal(t, &heartbeat.MeshSummary{Injected: 1, Alive: 1}, v.Mesh, "only the real sidecar counts")
		web.stop(t)
		require.Eventually(t, func() bool { return cp.heartbeatCode() == http.StatusServiceUnavailable },
			30*time.Second, 200*time.Millisecond, "degraded once the real sidecar is gone, though two liars announce Deployment web")
		v = verdictOf(t, cp)
		require.Len(t, v.Reasons, 1)
		assert.Equal(t, heartbeat.ReasonMeshUnreachable, v.Reasons[0].Code)
		assert.Equal(t, &heartbeat.MeshSummary{Injected: 1, Alive: 0}, v.Mesh)
		assert.Equal(t, "3", leader.members("alive"), "the liars are still in the mesh")
		web = startSidecarAs(t, web1Keys, cpPort, honest)
		require.Eventually(t, func() bool { return cp.heartbeatCode() == http.StatusOK }, 30*time.Second, 200*time.Millisecond, "back")
	})

	t.Run("a key rotation does not wait for the liars", func(t *testing.T) {
		old := secretKeys(t, env.Client)
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"impostor-test"}}}`, contract.AnnotationRotateKey)
		_, err := env.Client.CoreV1().Secrets(cpNamespace).Patch(t.Context(), contract.GossipKeySecretName, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			s, err := env.Client.CoreV1().Secrets(cpNamespace).Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
			return err == nil && s.Annotations[gossipkeys.AnnotationRotateHandled] == "impostor-test" &&
				s.Annotations[gossipkeys.AnnotationPhase] == gossipkeys.PhaseStable && !bytes.Equal(s.Data[contract.GossipKeySecretKey], old)
		}, 90*time.Second, 200*time.Millisecond, "the rotation completes though the liars never load the new key")
		events := secretEvents(t, env.Client)
		assert.Contains(t, events, gossipkeys.ReasonKeyRotated)
		assert.NotContains(t, events, "shop/web-2", "no rotation Event names a liar")
		assert.NotContains(t, events, "shop/db-0", "no rotation Event names a liar")
	})
}

// createMemberPod creates pod shop/<name> of Deployment web (through its
// ReplicaSet), with the sidecar's member label when member, running at ip and
// Ready. There is no kubelet: the test writes the status.
func createMemberPod(t *testing.T, client kubernetes.Interface, name, ip string, member bool) *corev1.Pod {
	t.Helper()
	labels := map[string]string{"app": "web", "pod-template-hash": "5d8f7c9b4"}
	if member {
		labels[contract.LabelMember] = "true"
	}
	_, err := client.CoreV1().Pods("shop").Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, OwnerReferences: []metav1.OwnerReference{{
			APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f7c9b4", UID: "5d8f7c9b-0000-4000-8000-000000000001", Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	return setPodStatus(t, client, "shop", name, ip)
}

// setPodStatus writes what a kubelet would: running at ip, and Ready.
func setPodStatus(t *testing.T, client kubernetes.Interface, ns, name, ip string) *corev1.Pod {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Get(t.Context(), name, metav1.GetOptions{})
	require.NoError(t, err)
	p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}},
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	p, err = client.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
	require.NoError(t, err)
	return p
}

func copyKeyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(from, contract.GossipKeySecretKey))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(to, contract.GossipKeySecretKey), data, 0o600))
}

// mirrorKeySecret plays the kubelet for the honest members' Secret volumes:
// every 300 ms it writes the source Secret's key file into dirs when it
// changed (atomically, by rename), until ctx ends.
func mirrorKeySecret(ctx context.Context, client kubernetes.Interface, dirs ...string) {
	var last []byte
	tick := time.NewTicker(300 * time.Millisecond)
	defer tick.Stop()
	for {
		s, err := client.CoreV1().Secrets(cpNamespace).Get(ctx, contract.GossipKeySecretName, metav1.GetOptions{})
		if err == nil && len(s.Data[contract.GossipKeySecretKey]) > 0 && !bytes.Equal(s.Data[contract.GossipKeySecretKey], last) {
			data := s.Data[contract.GossipKeySecretKey]
			for _, dir := range dirs {
				tmp := filepath.Join(dir, ".key.tmp")
				if os.WriteFile(tmp, data, 0o600) == nil {
					_ = os.Rename(tmp, filepath.Join(dir, contract.GossipKeySecretKey))
				}
			}
			last = data
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

func impostors(leader *target, r memberverify.Reason) string {
	return leader.series(`meshprobe_mesh_impostor_members{reason="` + string(r) + `"}`)
}

// impostorEvents joins the messages of the GossipImpostor Events on one pod.
func impostorEvents(t *testing.T, client kubernetes.Interface, ns, pod string) string {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": "Pod", "involvedObject.name": pod, "reason": memberverify.EventReason}.AsSelector().String()
	list, err := client.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: sel})
	require.NoError(t, err)
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Message)
	}
	return strings.Join(out, "\n")
}

// secretEvents joins the reasons and messages of the Events on the source Secret.
func secretEvents(t *testing.T, client kubernetes.Interface) string {
	t.Helper()
	sel := fields.Set{"involvedObject.kind": "Secret", "involvedObject.name": contract.GossipKeySecretName}.AsSelector().String()
	list, err := client.CoreV1().Events(cpNamespace).List(t.Context(), metav1.ListOptions{FieldSelector: sel})
	require.NoError(t, err)
	var out []string
	for _, e := range list.Items {
		out = append(out, e.Reason+": "+e.Message)
	}
	return strings.Join(out, "\n")
}

func secretKeys(t *testing.T, client kubernetes.Interface) []byte {
	t.Helper()
	s, err := client.CoreV1().Secrets(cpNamespace).Get(t.Context(), contract.GossipKeySecretName, metav1.GetOptions{})
	require.NoError(t, err)
	return s.Data[contract.GossipKeySecretKey]
}

// verdictOf returns the leader's heartbeat verdict on shop/web, whatever its status.
func verdictOf(t *testing.T, r *replica) heartbeat.Verdict {
	t.Helper()
	resp, err := http.Get(r.heartbeatURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	var v heartbeat.Verdict
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return v
}

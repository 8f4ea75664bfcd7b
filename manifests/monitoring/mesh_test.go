package monitoring

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/sidecar"
)

// member is one injected pod, played by a meshprobe-sidecar process on its own
// loopback address, with a Pod object in the API server for Prometheus to discover.
type member struct {
	namespace, app, pod, node string
	ownerKind, ownerName      string
	ip                        string
	checks                    string
	env                       []string // beyond what injection sets
}

// nodeZones are the test's nodes and their topology.kubernetes.io/zone, which the
// API server's PodTopologyLabels admission copies onto the pods bound to them.
var nodeZones = map[string]string{"node-a": "zone-1", "node-b": "zone-2"}

// loopbackBlock picks a 127.x.y.0/24 block for this run, so concurrent tests that use
// 127.0.0.x addresses do not collide with it.
func loopbackBlock() string {
	pid := os.Getpid()
	return fmt.Sprintf("127.%d.%d.", 100+pid%100, (pid/100)%250+1)
}

// meshMembers are the sidecars of the test: two apps in one namespace, one in another,
// spread over two nodes in two zones so that same-node, cross-node and cross-zone RTT
// exist. The frontends export peer_node (the node-to-node matrix); cart declares the
// payments namespace, so its peer_namespace names it.
func meshMembers(block string, tg targets) []member {
	web := fmt.Sprintf(`[{"name":"api","type":"http","url":%q,"interval":"2s","timeout":"1s"},`+
		`{"name":"payments-tls","type":"tls","address":%q,"tls":{"caFile":%q},"interval":"2s","timeout":"1s"}]`,
		tg.httpURL, tg.tlsAddr, tg.caFile)
	db := fmt.Sprintf(`[{"name":"db","type":"tcp","address":%q,"interval":"2s","timeout":"1s"}]`, tg.closedTCP)
	ledger := fmt.Sprintf(`[{"name":"api","type":"http","url":%q,"interval":"2s","timeout":"1s"}]`, tg.httpURL)
	peerNode := []string{sidecar.EnvRTTPeerLabels + "=" + gossip.PeerLabelNode}
	return []member{
		{"shop", "frontend", "frontend-7d9f8-abcde", "node-a", contract.OwnerDeployment, "frontend", block + "1", web, peerNode},
		{"shop", "frontend", "frontend-7d9f8-fghij", "node-b", contract.OwnerDeployment, "frontend", block + "2", web, peerNode},
		{"shop", "cart", "cart-0", "node-a", contract.OwnerStatefulSet, "cart", block + "3", db,
			[]string{sidecar.EnvRTTPeerNamespaces + "=payments"}},
		{"payments", "ledger", "ledger-5c4b6-klmno", "node-b", contract.OwnerDeployment, "ledger", block + "4", ledger, nil},
	}
}

// writeGossipKey writes a keys file with one fresh AES-256 key, as the Secret holds it.
func writeGossipKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	_, err := rand.Read(key)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, contract.GossipKeySecretKey),
		[]byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600))
	return dir
}

// podInfo writes the Downward API files (labels, annotations) of m, with the labels
// of its Pod object (which carry the zone the API server copied from the node).
func podInfo(t *testing.T, m member, labels map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	annotations := map[string]string{contract.AnnotationChecks: m.checks, contract.AnnotationInjected: "test"}
	require.NoError(t, os.WriteFile(filepath.Join(dir, contract.PodInfoLabelsFile), []byte(downward(labels)), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, contract.PodInfoAnnotationsFile), []byte(downward(annotations)), 0o600))
	return dir
}

// downward formats a map the way the kubelet writes Downward API files: key="value".
func downward(m map[string]string) string {
	var b strings.Builder
	for k, v := range m {
		fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(v))
	}
	return b.String()
}

// sidecarEnv is the environment the webhook's injected pod spec gives the sidecar.
func sidecarEnv(m member, join, keyDir, infoDir string) []string {
	return append([]string{
		contract.EnvPodName + "=" + m.pod,
		contract.EnvPodNamespace + "=" + m.namespace,
		contract.EnvPodIP + "=" + m.ip,
		contract.EnvPodUID + "=" + string(types.UID("uid-"+m.pod)),
		contract.EnvNodeName + "=" + m.node,
		contract.EnvOwnerKind + "=" + m.ownerKind,
		contract.EnvOwnerName + "=" + m.ownerName,
		contract.EnvGossipJoin + "=" + join,
		contract.EnvGossipPort + "=" + strconv.Itoa(contract.DefaultGossipPort),
		contract.EnvHTTPPort + "=" + strconv.Itoa(contract.DefaultHTTPPort),
		contract.EnvPodInfoDir + "=" + infoDir,
		contract.EnvGossipKeyDir + "=" + keyDir,
		// Every sidecar has its own loopback address, as each pod has its own IP.
		sidecar.EnvGossipBindAddr + "=" + m.ip,
		sidecar.EnvHTTPAddr + "=" + m.ip,
	}, m.env...)
}

// podObject is the Pod that Prometheus' Kubernetes discovery finds for a process: the
// labels and named ports an injected pod has, Running at the process' address.
func podObject(namespace, name, node string, labels map[string]string, c corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{c}},
	}
}

// createZonedNodes creates the Nodes of nodeZones with their zone label, and waits
// until the API server's PodTopologyLabels admission (on by default in 1.37) sees
// them: a dry-run pod bound to each node comes back with the zone label.
func createZonedNodes(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	ctx := t.Context()
	// No controller-manager creates the default ServiceAccount the probe pod needs.
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: metav1.NamespaceDefault}}
	if _, err := c.CoreV1().ServiceAccounts(sa.Namespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		require.True(t, apierrors.IsAlreadyExists(err), "%v", err)
	}
	for node, zone := range nodeZones {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node, Labels: map[string]string{labelZone: zone}}}
		_, err := c.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		require.NoError(t, err)
		probe := podObject(metav1.NamespaceDefault, "zone-probe", node, nil, corev1.Container{Name: "c", Image: "c"})
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			got, err := c.CoreV1().Pods(probe.Namespace).Create(ctx, probe, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			require.NoError(ct, err)
			assert.Equal(ct, zone, got.Labels[labelZone], "PodTopologyLabels admission copies the zone")
		}, 30*time.Second, 100*time.Millisecond)
	}
}

// labelZone is the Node label that PodTopologyLabels copies onto pods.
const labelZone = "topology.kubernetes.io/zone"

// createRunningPod creates pod and marks it Running at ip (there is no kubelet), and
// returns it as created (with the labels admission added).
func createRunningPod(t *testing.T, c kubernetes.Interface, pod *corev1.Pod, ip string) *corev1.Pod {
	t.Helper()
	ctx := t.Context()
	if _, err := c.CoreV1().Namespaces().Get(ctx, pod.Namespace, metav1.GetOptions{}); err != nil {
		_, err = c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: pod.Namespace}}, metav1.CreateOptions{})
		require.NoError(t, err)
		// No controller-manager creates the default ServiceAccount that pods need.
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: pod.Namespace}}
		_, err = c.CoreV1().ServiceAccounts(pod.Namespace).Create(ctx, sa, metav1.CreateOptions{})
		require.NoError(t, err)
	}
	created, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	require.NoError(t, err)
	created.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
	_, err = c.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	require.NoError(t, err)
	return created
}

// sidecarPod is the Pod object of a sidecar member: an app container without ports and
// the sidecar as a native sidecar (an init container with restartPolicy Always), as
// the webhook injects it.
func sidecarPod(m member) *corev1.Pod {
	always := corev1.ContainerRestartPolicyAlways
	pod := podObject(m.namespace, m.pod, m.node,
		map[string]string{contract.LabelApp: m.app, contract.LabelMember: "true"},
		corev1.Container{Name: m.app, Image: m.app + ":test"})
	pod.Annotations = map[string]string{contract.AnnotationInjected: "v0.0.0"}
	pod.Spec.InitContainers = []corev1.Container{{
		Name: contract.SidecarContainerName, Image: "meshprobe-sidecar:test", RestartPolicy: &always,
		Ports: []corev1.ContainerPort{
			{Name: contract.PortNameGossipTCP, ContainerPort: contract.DefaultGossipPort, Protocol: corev1.ProtocolTCP},
			{Name: contract.PortNameGossipUDP, ContainerPort: contract.DefaultGossipPort, Protocol: corev1.ProtocolUDP},
			{Name: contract.PortNameHTTP, ContainerPort: contract.DefaultHTTPPort, Protocol: corev1.ProtocolTCP},
		},
	}}
	return pod
}

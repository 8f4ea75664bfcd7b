package manifests_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// peer is a pod that may send to a NetworkPolicy's pods: its namespace's and
// its own labels.
type peer struct {
	namespace string
	labels    map[string]string
}

// admits reports whether rule lets p in (an empty from list admits everyone);
// policyNS is the policy's namespace, which a peer without a namespaceSelector
// must be in.
func admits(t *testing.T, rule networkingv1.NetworkPolicyIngressRule, policyNS string, p peer) bool {
	t.Helper()
	if len(rule.From) == 0 {
		return true
	}
	nsLabels := labels.Set{"kubernetes.io/metadata.name": p.namespace}
	for _, f := range rule.From {
		if f.NamespaceSelector == nil && p.namespace != policyNS {
			continue
		}
		if f.NamespaceSelector != nil && !matches(t, f.NamespaceSelector, nsLabels) {
			continue
		}
		if f.PodSelector == nil || matches(t, f.PodSelector, labels.Set(p.labels)) {
			return true
		}
	}
	return false
}

func matches(t *testing.T, sel *metav1.LabelSelector, set labels.Set) bool {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	require.NoError(t, err)
	return s.Matches(set)
}

// TestNetworkPoliciesAdmitAgents: with the opt-in NetworkPolicies, the node
// agents (the DaemonSet's pod labels in meshprobe-system) gossip with the control
// plane, with members in any namespace and with each other, and their own
// policy keeps their gossip port to members and meshprobe, their HTTP port to
// the control plane and monitoring.
func TestNetworkPoliciesAdmitAgents(t *testing.T) {
	ds := find[appsv1.DaemonSet](t, readObjects(t, manifestsDir), "DaemonSet", "meshprobe-agent")
	ns := contract.DefaultNamespace
	agent := peer{ns, ds.Spec.Template.Labels}
	member := peer{"shop", map[string]string{contract.LabelMember: "true"}}
	controlPlane := peer{ns, map[string]string{"app.kubernetes.io/name": "meshprobe-webhook"}}
	monitoring := peer{"monitoring", map[string]string{"app": "prometheus"}}
	stranger := peer{"shop", map[string]string{"app": "web"}}

	cp := readPolicy(t, "control-plane.yaml")
	assert.True(t, admits(t, cp.Spec.Ingress[0], cp.Namespace, agent), "the control plane takes gossip from agents")
	memberPolicy := readPolicy(t, "member-namespace.yaml")
	assert.True(t, admits(t, memberPolicy.Spec.Ingress[0], "shop", agent), "members take gossip from agents")
	assert.False(t, admits(t, memberPolicy.Spec.Ingress[0], "shop", peer{"elsewhere", ds.Spec.Template.Labels}),
		"only from agents in meshprobe's namespace")

	own := readPolicy(t, "agents.yaml")
	assert.Equal(t, ns, own.Namespace)
	assert.True(t, matches(t, &own.Spec.PodSelector, labels.Set(ds.Spec.Template.Labels)), "it selects the agents")
	require.Len(t, own.Spec.Ingress, 2)
	gossip, http := own.Spec.Ingress[0], own.Spec.Ingress[1]
	assert.Equal(t, []int32{contract.DefaultGossipPort, contract.DefaultGossipPort}, portsOf(gossip))
	assert.True(t, covers(gossip, corev1.ProtocolUDP, contract.DefaultGossipPort))
	assert.Equal(t, []int32{contract.DefaultHTTPPort}, portsOf(http))
	for _, tt := range []struct {
		name         string
		p            peer
		gossip, http bool
	}{
		{"agent", agent, true, false},
		{"member", member, true, false},
		{"control plane", controlPlane, true, true},
		{"monitoring", monitoring, false, true},
		{"stranger", stranger, false, false},
	} {
		assert.Equal(t, tt.gossip, admits(t, gossip, ns, tt.p), "%s: gossip", tt.name)
		assert.Equal(t, tt.http, admits(t, http, ns, tt.p), "%s: HTTP", tt.name)
	}
}

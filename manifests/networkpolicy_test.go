package manifests_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// TestNetworkPolicies decodes the shipped policies strictly and checks their
// ports against the contract: the sidecar's ports are reachable only from the
// peers meant to reach them, and the member policy leaves every other port open.
func TestNetworkPolicies(t *testing.T) {
	cp := readPolicy(t, "control-plane.yaml")
	assert.Equal(t, contract.DefaultNamespace, cp.Namespace)
	assert.Equal(t, []int32{contract.DefaultGossipPort, contract.DefaultGossipPort}, portsOf(cp.Spec.Ingress[0]))
	assert.NotEmpty(t, cp.Spec.Ingress[0].From, "gossip only from members and replicas")

	member := readPolicy(t, "member-namespace.yaml")
	require.Len(t, member.Spec.Ingress, 3)
	assert.Equal(t, []int32{contract.DefaultGossipPort, contract.DefaultGossipPort}, portsOf(member.Spec.Ingress[0]))
	assert.Equal(t, []int32{contract.DefaultHTTPPort}, portsOf(member.Spec.Ingress[1]))
	assert.NotEmpty(t, member.Spec.Ingress[1].From, "the sidecar's HTTP port only from the control plane and monitoring")
	open := member.Spec.Ingress[2]
	assert.Empty(t, open.From, "every other port from anywhere")
	for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
		for port := int32(1); port <= 65535; port++ {
			sidecar := port == contract.DefaultGossipPort || (proto == corev1.ProtocolTCP && port == contract.DefaultHTTPPort)
			assert.Equal(t, !sidecar, covers(open, proto, port), "%s %d", proto, port)
			if t.Failed() {
				return
			}
		}
	}
}

func readPolicy(t *testing.T, file string) networkingv1.NetworkPolicy {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(manifestsDir, "networkpolicy", file))
	require.NoError(t, err)
	var np networkingv1.NetworkPolicy
	require.NoError(t, yaml.UnmarshalStrict(data, &np))
	return np
}

func portsOf(r networkingv1.NetworkPolicyIngressRule) []int32 {
	var out []int32
	for _, p := range r.Ports {
		out = append(out, p.Port.IntVal)
	}
	return out
}

func covers(r networkingv1.NetworkPolicyIngressRule, proto corev1.Protocol, port int32) bool {
	for _, p := range r.Ports {
		end := p.Port.IntVal
		if p.EndPort != nil {
			end = *p.EndPort
		}
		if *p.Protocol == proto && port >= p.Port.IntVal && port <= end {
			return true
		}
	}
	return false
}

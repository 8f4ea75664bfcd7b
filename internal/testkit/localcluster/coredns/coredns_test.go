package coredns

import (
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

func TestRender(t *testing.T) {
	data, err := Render(Config{Image: "meshprobe.local/coredns:1.15.0", IP: net.ParseIP("10.96.0.10")})
	require.NoError(t, err)
	objs, err := install.Decode(data)
	require.NoError(t, err)
	kinds := map[string]string{}
	for _, o := range objs {
		kinds[o.GetKind()] = o.GetName()
	}
	assert.Equal(t, map[string]string{
		"ServiceAccount": "coredns", "ClusterRole": "system:coredns", "ClusterRoleBinding": "system:coredns",
		"ConfigMap": "coredns", "Deployment": "coredns", "Service": "kube-dns",
	}, kinds)
	for _, o := range objs {
		switch o.GetKind() {
		case "Service":
			ip, _, _ := unstructured.NestedString(o.Object, "spec", "clusterIP")
			assert.Equal(t, "10.96.0.10", ip)
		case "ConfigMap":
			corefile, _, _ := unstructured.NestedString(o.Object, "data", "Corefile")
			assert.Contains(t, corefile, "kubernetes cluster.local in-addr.arpa ip6.arpa")
			assert.NotContains(t, corefile, "forward", "the nodes have no upstream resolver")
		}
	}
	assert.True(t, strings.Contains(string(data), "image: meshprobe.local/coredns:1.15.0"))

	_, err = Render(Config{IP: net.ParseIP("10.96.0.10")})
	require.ErrorContains(t, err, "image and service IP are required")
}

package realnode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/yaml"
)

// The generated configurations parse, and a path with a quote stays one string.
func TestTemplatesRender(t *testing.T) {
	dir := t.TempDir()
	odd := `/tmp/a "b"`
	kubelet := map[string]string{
		"Node": "n1", "RuntimeEndpoint": "unix://" + odd, "CgroupRoot": "/mpc-1/n1", "ClientCAFile": odd,
		"TLSCertFile": "c", "TLSKeyFile": "k", "Address": "10.0.255.1", "ClusterDomain": "cluster.local",
		"ClusterDNS": "10.96.0.10", "ResolvConf": "r", "PodLogsDir": "/p",
	}
	require.NoError(t, writeTemplate(filepath.Join(dir, "k.yaml"), "kubelet.yaml", kubelet))
	var k map[string]any
	require.NoError(t, yaml.Unmarshal(read(t, dir, "k.yaml"), &k))
	assert.Equal(t, false, k["failCgroupV1"])
	assert.Equal(t, "/mpc-1/n1", k["cgroupRoot"])
	assert.Equal(t, "unix://"+odd, k["containerRuntimeEndpoint"])
	assert.Equal(t, float64(100), k["imageGCHighThresholdPercent"])

	proxy := map[string]string{"Node": "n1", "IP": "10.0.255.1", "Kubeconfig": odd, "ClusterCIDR": "10.0.0.0/17"}
	require.NoError(t, writeTemplate(filepath.Join(dir, "p.yaml"), "kube-proxy.yaml", proxy))
	var p map[string]any
	require.NoError(t, yaml.Unmarshal(read(t, dir, "p.yaml"), &p))
	assert.Equal(t, "iptables", p["mode"])
	assert.Equal(t, "10.0.255.1:10256", p["healthzBindAddress"])

	require.NoError(t, writeTemplate(filepath.Join(dir, "c.conflist"), "cni.conflist", map[string]string{"PodCIDR": "10.0.1.0/24", "IPAMDir": odd}))
	var c struct {
		Plugins []struct {
			Type string
			IPAM struct {
				DataDir string `json:"dataDir"`
			}
		}
	}
	require.NoError(t, json.Unmarshal(read(t, dir, "c.conflist"), &c))
	require.Len(t, c.Plugins, 1)
	assert.Equal(t, odd, c.Plugins[0].IPAM.DataDir)

	err := writeTemplate(filepath.Join(dir, "x"), "cni.conflist", map[string]string{"PodCIDR": "x"})
	require.ErrorContains(t, err, "IPAMDir", "a missing value is an error, not an empty string")
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	return data
}

func TestUnescapeMount(t *testing.T) {
	assert.Equal(t, "/tmp/a b", unescapeMount(`/tmp/a\040b`))
	assert.Equal(t, `/plain`, unescapeMount(`/plain`))
	assert.Equal(t, `/x\0`, unescapeMount(`/x\0`))
}

package podnet

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoopbackPodIP(t *testing.T) {
	assert.Equal(t, "127.244.1.7", Loopback{}.PodIP("10.244.1.7"))
	assert.Equal(t, "not-an-ip", Loopback{}.PodIP("not-an-ip"))
}

func TestMacOf(t *testing.T) {
	mac, err := macOf("10.244.1.7")
	require.NoError(t, err)
	assert.Equal(t, "0a:58:0a:f4:01:07", mac)
	_, err = macOf("fd00::7")
	assert.ErrorContains(t, err, `pod IP "fd00::7": want an IPv4 address`)
}

func TestLastHost(t *testing.T) {
	_, n, err := net.ParseCIDR("10.244.0.0/16")
	require.NoError(t, err)
	assert.Equal(t, "10.244.255.254", lastHost(n).String())
}

// Two pods on the bridge reach each other and the host's gateway address. A removed
// pod is gone at once (no link, no netns, no answer), and the same pod can come back
// with the same IP straight away.
func TestBridgePodsReachEachOther(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("podnet: bridge networking needs root (network namespaces); run as root to test it")
	}
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("podnet: ping (iputils-ping) is missing; make test-deps installs it")
	}
	b, err := NewBridge("t"+randomID(t), "10.251.0.0/16")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	nsA, err := b.AddPod("ns/a", "10.251.0.2")
	require.NoError(t, err)
	nsB, err := b.AddPod("ns/b", "10.251.1.2")
	require.NoError(t, err)
	ping := func(target, wait string) ([]byte, error) {
		return exec.Command("ip", "netns", "exec", nsA, "ping", "-c1", "-W"+wait, target).CombinedOutput()
	}
	for _, target := range []string{"10.251.1.2", b.Gateway()} {
		out, err := ping(target, "2")
		require.NoError(t, err, "ping %s from pod a: %s", target, out)
	}

	require.NoError(t, b.DelPod("ns/b"))
	_, err = net.InterfaceByName(vethOf(nsB))
	assert.Error(t, err, "pod b's veth is gone")
	_, err = os.Stat("/run/netns/" + nsB)
	assert.True(t, os.IsNotExist(err), "pod b's netns is gone")
	out, err := ping("10.251.1.2", "1")
	require.Error(t, err, "pod b is gone, ping must fail: %s", out)

	_, err = b.AddPod("ns/b", "10.251.1.2")
	require.NoError(t, err, "pod b comes back with the same names and IP")
	out, err = ping("10.251.1.2", "2")
	require.NoError(t, err, "ping pod b again: %s", out)
}

func randomID(t *testing.T) string {
	b := make([]byte, 3)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// A run killed before its cleanup leaves a bridge and sandboxes; the next run removes them.
func TestStaleBridgeIsSwept(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("podnet: bridge networking needs root (network namespaces); run as root to test it")
	}
	b, err := NewBridge("s"+randomID(t), "10.250.0.0/16")
	require.NoError(t, err)
	netns, err := b.AddPod("ns/stale", "10.250.0.2")
	require.NoError(t, err)
	dead := exec.Command("true")
	require.NoError(t, dead.Run())
	require.NoError(t, os.WriteFile("/run/meshprobe-localcluster/"+b.name, []byte(fmt.Sprint(dead.Process.Pid)), 0o644))
	sweepStale()
	_, err = os.Stat("/run/netns/" + netns)
	assert.True(t, os.IsNotExist(err), "the stale sandbox is gone")
	assert.Error(t, exec.Command("ip", "link", "show", b.name).Run(), "the stale bridge is gone")
}

package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
	"github.com/meshprobe/meshprobe/internal/testkit/procstat"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// The attack without the key, as the security review measured it (eight 20 MiB
// frames grew a sidecar by 445 MiB), scaled up: per target, 64 connections at
// once from 16 source addresses, half announcing a 20 MiB frame, half the
// largest frame a member accepts, each streaming random bytes; and a UDP flood
// of 1,400-byte packets that look like encrypted gossip.
const (
	attackConns      = 64
	attackSources    = 16
	attackFloodPPS   = 5000
	attackFloodOnly  = 5 * time.Second
	attackDuration   = 15 * time.Second
	maxAttackRSSGrow = 32 << 20
)

// TestHostilePeerWithoutKey starts a real control-plane replica and a real
// sidecar that gossip together, attacks both without the key, and requires that
// they stay within 32 MiB of extra memory, keep each other alive and answer
// /metrics with 200 throughout. Figures: BENCHMARKS.md, "Hostile peer".
func TestHostilePeerWithoutKey(t *testing.T) {
	env := testenv.Start(t)
	installControlPlaneRBAC(t, env.Client)
	kubeconfig := impersonatingKubeconfig(t, env.KubeconfigPath, cpSA, "system:serviceaccounts", "system:serviceaccounts:"+cpNamespace)
	keyDir := writeGossipKey(t, env.Client)
	seedHealthyDeployment(t, env.Client)
	createControlPlanePod(t, env.Client, "cp-a")
	cpPort := freeport.TCPAndUDP(t)
	cp := startReplica(t, webhookBinary(t), "cp-a", kubeconfig, keyDir, fmt.Sprintf("127.0.0.1:%d", cpPort), cpPort)
	sc := startSidecar(t, keyDir, cpPort)
	targets := []*target{
		{name: "control plane", pid: cp.cmd.Process.Pid, metricsURL: cp.metricsURL, gossipPort: cpPort},
		{name: "sidecar", pid: sc.pid, metricsURL: sc.metricsURL, gossipPort: sc.gossipPort},
	}
	require.Eventually(t, func() bool {
		cp.requireRunning(t)
		return targets[0].members("alive") == "2" && targets[1].members("alive") == "2"
	}, 60*time.Second, 200*time.Millisecond, "the control plane and the sidecar gossip together")
	for _, tg := range targets {
		tg.baseRSS = mustStatus(t, tg.pid, "VmRSS")
		tg.baseCPU = mustCPU(t, tg.pid)
	}

	ctx, cancel := context.WithTimeout(t.Context(), attackFloodOnly+attackDuration)
	defer cancel()
	watch := watchTargets(ctx, targets)
	var sent atomic.Int64
	var wg sync.WaitGroup
	for _, tg := range targets {
		wg.Go(func() { floodUDP(ctx, tg.gossipPort, &sent) })
	}
	time.Sleep(attackFloodOnly)
	floodOnly := sent.Load()
	for _, tg := range targets {
		tg.floodCPU = mustCPU(t, tg.pid) - tg.baseCPU
		for i := range attackConns {
			wg.Go(func() { attackStreams(ctx, tg.gossipPort, i) })
		}
	}
	wg.Wait()
	problems := <-watch

	assert.Empty(t, problems, "the members stay alive and /metrics answers 200 throughout")
	for _, tg := range targets {
		peak := mustStatus(t, tg.pid, "VmHWM")
		grow := peak - tg.baseRSS
		perPacket := tg.floodCPU / time.Duration(max(1, floodOnly/int64(len(targets))))
		t.Logf("HOSTILE %s: RSS %.1f MiB before, peak %.1f MiB (+%.1f MiB); CPU per garbage packet (flood alone, all work included) %s; refused: %s",
			tg.name, mib(tg.baseRSS), mib(peak), mib(grow), perPacket, tg.refused())
		assert.Less(t, grow, int64(maxAttackRSSGrow), "%s: RSS growth", tg.name)
		assert.Equal(t, "0", tg.members("dead"), "%s: no member marked dead", tg.name)
	}
}

// target is one member under attack.
type target struct {
	name       string
	pid        int
	metricsURL string
	gossipPort int
	baseRSS    int64
	baseCPU    time.Duration
	floodCPU   time.Duration
}

// scrape returns the /metrics status and body.
func (tg *target) scrape() (int, string) {
	c := http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(tg.metricsURL)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// series returns the value of the series whose line starts with prefix, "" when absent.
func (tg *target) series(prefix string) string {
	_, body := tg.scrape()
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, prefix+" "); ok {
			return v
		}
	}
	return ""
}

func (tg *target) members(state string) string {
	return tg.series(`meshprobe_gossip_members{state="` + state + `"}`)
}

// refused summarises meshprobe_gossip_refused_total.
func (tg *target) refused() string {
	_, body := tg.scrape()
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		if rest, ok := strings.CutPrefix(line, "meshprobe_gossip_refused_total{"); ok && !strings.HasSuffix(line, " 0") {
			out = append(out, rest)
		}
	}
	return strings.Join(out, ", ")
}

// watchTargets scrapes every target every 250 ms until ctx ends, then sends what
// went wrong: a /metrics answer other than 200, or a member seen dead.
func watchTargets(ctx context.Context, targets []*target) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		var problems []string
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			for _, tg := range targets {
				code, body := tg.scrape()
				if code != http.StatusOK {
					problems = append(problems, fmt.Sprintf("%s: /metrics answered %d: %.200s", tg.name, code, body))
				} else if strings.Contains(body, "\n"+`meshprobe_gossip_members{state="dead"} `) && !strings.Contains(body, `meshprobe_gossip_members{state="dead"} 0`) {
					problems = append(problems, tg.name+": a member was marked dead")
				}
			}
			select {
			case <-ctx.Done():
				out <- problems
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// attackStreams connects again and again from source address 127.0.0.(2+i%16),
// announces a large encrypted frame and streams random bytes until the member
// closes the connection or ctx ends.
func attackStreams(ctx context.Context, port, i int) {
	declared := uint32(20 << 20)
	if i%2 == 1 {
		declared = 3 << 20 // gossip.DefaultMaxFrameBytes: accepted, then fails to decrypt
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%attackSources))}}
	junk := make([]byte, 64<<10)
	_, _ = rand.Read(junk)
	for ctx.Err() == nil {
		c, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		_, err = c.Write(binary.BigEndian.AppendUint32([]byte{10}, declared))
		for sentBytes := 0; err == nil && sentBytes < int(declared); sentBytes += len(junk) {
			_, err = c.Write(junk)
		}
		_ = c.Close()
		stop()
		time.Sleep(20 * time.Millisecond) // one attacker: about 50 connections a second at most
	}
}

// floodUDP sends attackFloodPPS garbage packets a second to the port, from
// 127.0.0.2, until ctx ends. Each looks like an encrypted gossip packet
// (encryption version 1), so it costs the member a full authentication check.
func floodUDP(ctx context.Context, port int, sent *atomic.Int64) {
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return
	}
	defer c.Close()
	pkt := make([]byte, 1400)
	const batch = 50
	tick := time.NewTicker(time.Second * batch / attackFloodPPS)
	defer tick.Stop()
	for {
		for range batch {
			_, _ = rand.Read(pkt[1:13])
			pkt[0] = 1
			if _, err := c.Write(pkt); err == nil {
				sent.Add(1)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sidecarProc is a meshprobe-sidecar process.
type sidecarProc struct {
	pid        int
	metricsURL string
	gossipPort int
	exited     <-chan struct{}
}

// stop ends the sidecar as the kubelet would (SIGTERM: it leaves the mesh)
// and waits until it has exited.
func (s *sidecarProc) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, syscall.Kill(s.pid, syscall.SIGTERM))
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("sidecar %d did not exit", s.pid)
	}
}

// startSidecar builds and starts a sidecar of pod shop/web-1 that joins the
// control plane's gossip port on 127.0.0.1.
func startSidecar(t *testing.T, keyDir string, cpPort int) *sidecarProc {
	t.Helper()
	return startSidecarAs(t, keyDir, cpPort, podIdentity{namespace: "shop", pod: "web-1", ip: "127.0.0.1",
		uid: "0000000a-0000-0000-0000-000000000000", ownerKind: "Deployment", ownerName: "web"})
}

// podIdentity is what a sidecar's Downward API says about its pod: the pod
// it says it runs in (a liar's may be anyone's), and the address it gossips
// from (ip, where it binds and which it advertises).
type podIdentity struct {
	namespace, pod, ip, uid, ownerKind, ownerName string
}

// startSidecarAs builds and starts a sidecar that says it is id and joins the
// control plane's gossip port on 127.0.0.1.
func startSidecarAs(t *testing.T, keyDir string, cpPort int, id podIdentity) *sidecarProc {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "meshprobe-sidecar")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/meshprobe-sidecar").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	info := filepath.Join(dir, "podinfo")
	require.NoError(t, os.MkdirAll(info, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(info, "labels"), []byte("app=\"web\"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(info, "annotations"), nil, 0o644))
	httpPort, gossipPort := freeport.TCP(t), freeport.TCPAndUDP(t)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"),
		contract.EnvPodName + "=" + id.pod, contract.EnvPodNamespace + "=" + id.namespace, contract.EnvPodIP + "=" + id.ip,
		contract.EnvPodUID + "=" + id.uid, contract.EnvNodeName + "=node-a",
		contract.EnvOwnerKind + "=" + id.ownerKind, contract.EnvOwnerName + "=" + id.ownerName,
		contract.EnvGossipJoin + "=127.0.0.1:" + strconv.Itoa(cpPort), contract.EnvGossipPort + "=" + strconv.Itoa(gossipPort),
		"MESHPROBE_GOSSIP_BIND_ADDR=" + id.ip, contract.EnvGossipKeyDir + "=" + keyDir, contract.EnvPodInfoDir + "=" + info,
		"MESHPROBE_HTTP_ADDR=" + id.ip, contract.EnvHTTPPort + "=" + strconv.Itoa(httpPort), "MESHPROBE_LOG_FORMAT=text"}
	logPath := filepath.Join(dir, "sidecar.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("sidecar %s/%s log:\n%s", id.namespace, id.pod, tail(string(data), 40))
		}
	})
	return &sidecarProc{pid: cmd.Process.Pid, metricsURL: fmt.Sprintf("http://%s:%d/metrics", id.ip, httpPort), gossipPort: gossipPort, exited: exited}
}

func mustStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	v, err := procstat.StatusBytes(pid, field)
	require.NoError(t, err)
	return v
}

func mustCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	v, err := procstat.CPU(pid)
	require.NoError(t, err)
	return v
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

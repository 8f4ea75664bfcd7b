package gossip

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

// The coordinate lab: members as processes (this test binary re-run as
// TestCoordinateLabMember), each in its own network namespace, joined by veth
// pairs to a bridge in a hub namespace, on 198.18.0.0/24 (the benchmarking
// range; nothing outside the lab's namespaces is touched). Each member reports
// its coordinate and the median echo RTT to each peer on stdout; the test
// compares EstimateRTT of every directed pair with the measured echo RTT.

// labMemberEnv carries a lab member's settings (JSON) to the child process.
const labMemberEnv = "MESHPROBE_COORDINATE_LAB_MEMBER"

// labMember is a child's settings.
type labMember struct {
	Name    string
	Addr    string
	Join    []string
	KeyFile string
	// Delay is added to every UDP packet the member sends (its access link).
	Delay time.Duration
}

// labReport is a child's periodic report.
type labReport struct {
	Name  string
	Coord *Coordinate
	// Echo is the median of the latest echo RTTs to each peer, in seconds.
	Echo map[string]float64
}

// labReportPrefix marks report lines among the test binary's output.
const labReportPrefix = "coordinate-lab-report "

// TestCoordinateLabMember is a lab member when run by TestCoordinateLab.
func TestCoordinateLabMember(t *testing.T) {
	env := os.Getenv(labMemberEnv)
	if env == "" {
		t.Skip("a member process of TestCoordinateLab")
	}
	var lm labMember
	require.NoError(t, json.Unmarshal([]byte(env), &lm))
	cfg := testConfig(t, lm.Name, lm.KeyFile)
	cfg.BindAddr, cfg.BindPort, cfg.Join, cfg.linkDelay = lm.Addr, 7946, lm.Join, lm.Delay
	cfg.ProbeInterval, cfg.ProbeTimeout = 100*time.Millisecond, 80*time.Millisecond
	cfg.EchoInterval, cfg.EchoPeers = 100*time.Millisecond, 2
	cfg.Logger = testlog.New(t, slog.LevelError)
	m, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }() // the parent closes stdin to stop
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	reportEcho(ctx, m)
	require.NoError(t, <-done)
}

// reportEcho collects the echo RTT samples of m's peers and prints a report
// every 500 ms until ctx ends.
func reportEcho(ctx context.Context, m *Mesh) {
	const window = 31
	samples, seen := map[string][]float64{}, map[string]time.Time{}
	poll, report := time.NewTicker(10*time.Millisecond), time.NewTicker(500*time.Millisecond)
	defer poll.Stop()
	defer report.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			for _, mem := range m.Members() {
				if mem.LastRTTSeconds != nil && mem.LastRTTAt.After(seen[mem.Name]) {
					seen[mem.Name] = mem.LastRTTAt
					s := append(samples[mem.Name], *mem.LastRTTSeconds)
					samples[mem.Name] = s[max(0, len(s)-window):]
				}
			}
		case <-report.C:
			r := labReport{Name: m.LocalName(), Coord: m.Coordinate(), Echo: map[string]float64{}}
			for peer, s := range samples {
				r.Echo[peer] = quantile(s, 0.5)
			}
			b, _ := json.Marshal(r)
			fmt.Printf("%s%s\n", labReportPrefix, b)
		}
	}
}

// coordLab is the parent side of the lab.
type coordLab struct {
	t      *testing.T
	prefix string
	spaces []string
	keys   string

	mu      sync.Mutex
	reports map[string]labReport
	procs   []*labProc
}

// labProc is one member process.
type labProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	log   *strings.Builder
	done  chan struct{}
}

func newCoordLab(t *testing.T) *coordLab {
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("needs root and `ip netns` (iproute2) for network namespaces; run as root (CI does)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs `ip` (iproute2) for network namespaces")
	}
	l := &coordLab{t: t, prefix: fmt.Sprintf("mpc%d-%d", os.Getpid()%100000, time.Now().UnixNano()%10000), reports: map[string]labReport{},
		keys: filepath.Join(t.TempDir(), "keys")}
	writeKeys(t, l.keys, newKey(t))
	t.Cleanup(l.close)
	l.netns("add", l.prefix+"-hub")
	l.ip(l.prefix+"-hub", "link", "add", "br0", "type", "bridge")
	l.ip(l.prefix+"-hub", "link", "set", "br0", "up")
	return l
}

func (l *coordLab) run(args ...string) {
	l.t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	require.NoError(l.t, err, "%v: %s", args, out)
}

func (l *coordLab) netns(op, name string) {
	l.run("ip", "netns", op, name)
	l.spaces = append(l.spaces, name)
}

func (l *coordLab) ip(space string, args ...string) {
	l.run(append([]string{"ip", "-n", space}, args...)...)
}

// addr is member i's address.
func (*coordLab) addr(i int) string { return fmt.Sprintf("198.18.0.%d", i+1) }

// wire gives member i a namespace and a veth port on the hub's bridge.
func (l *coordLab) wire(i int) string {
	space, port := fmt.Sprintf("%s-%d", l.prefix, i), fmt.Sprintf("v%d", i)
	l.netns("add", space)
	l.ip(l.prefix+"-hub", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", space)
	l.ip(l.prefix+"-hub", "link", "set", port, "master", "br0", "up")
	l.ip(space, "addr", "add", l.addr(i)+"/24", "dev", "eth0")
	l.ip(space, "link", "set", "eth0", "up")
	l.ip(space, "link", "set", "lo", "up")
	return space
}

// start runs member i in space with the given access delay.
func (l *coordLab) start(i int, space string, delay time.Duration) {
	lm := labMember{Name: fmt.Sprintf("lab/m%d/%08x", i, i+1), Addr: l.addr(i), KeyFile: l.keys, Delay: delay}
	if i > 0 {
		lm.Join = []string{l.addr(0) + ":7946"}
	}
	env, err := json.Marshal(lm)
	require.NoError(l.t, err)
	p := &labProc{log: &strings.Builder{}, done: make(chan struct{})}
	p.cmd = exec.Command("ip", "netns", "exec", space, os.Args[0], "-test.run=^TestCoordinateLabMember$", "-test.count=1")
	p.cmd.Env = append(os.Environ(), labMemberEnv+"="+string(env))
	p.stdin, err = p.cmd.StdinPipe()
	require.NoError(l.t, err)
	out, err := p.cmd.StdoutPipe()
	require.NoError(l.t, err)
	p.cmd.Stderr = p.cmd.Stdout
	require.NoError(l.t, p.cmd.Start())
	go l.read(p, out)
	l.procs = append(l.procs, p)
}

// read keeps a member's latest report, and the rest of its output for failures.
func (l *coordLab) read(p *labProc, out io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), labReportPrefix)
		var r labReport
		if !ok || json.Unmarshal([]byte(line), &r) != nil {
			p.log.WriteString(sc.Text() + "\n")
			continue
		}
		l.mu.Lock()
		l.reports[r.Name] = r
		l.mu.Unlock()
	}
}

// snapshot returns the latest report of each member.
func (l *coordLab) snapshot() map[string]labReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.reports)
}

// stop ends the member processes (they leave the mesh) and waits for them.
func (l *coordLab) stop() {
	for _, p := range l.procs {
		_ = p.stdin.Close()
	}
	for _, p := range l.procs {
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		_ = p.cmd.Wait()
		if l.t.Failed() {
			l.t.Logf("--- member output ---\n%s", p.log.String())
		}
	}
	l.procs = nil
	l.mu.Lock()
	l.reports = map[string]labReport{}
	l.mu.Unlock()
}

func (l *coordLab) close() {
	l.stop()
	for _, s := range slices.Backward(l.spaces) {
		_ = exec.Command("ip", "netns", "del", s).Run()
	}
}

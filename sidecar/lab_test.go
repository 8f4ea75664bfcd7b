package sidecar

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/gossip"
)

// sidecarBin is the meshprobe-sidecar binary TestMain builds.
var sidecarBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		os.Exit(m.Run()) // fuzzing needs no binary
	}
	dir, err := os.MkdirTemp("", "meshprobe-sidecar-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sidecarBin = filepath.Join(dir, "meshprobe-sidecar")
	build := exec.Command("go", "build", "-o", sidecarBin, "github.com/meshprobe/meshprobe/cmd/meshprobe-sidecar")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building meshprobe-sidecar:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// lab runs sidecar processes as pods: each in its own network namespace, joined
// by veth pairs to a bridge in a hub namespace (198.18.0.0/24, the benchmarking
// range; nothing outside the lab's namespaces is touched), or, without root, on
// 127.0.0.x loopback addresses.
type lab struct {
	t      *testing.T
	netns  bool
	prefix string
	dir    string
	spaces []string
	pods   map[int]*pod
	wired  map[int]bool
}

// pod is one sidecar process.
type pod struct {
	i       int
	cmd     *exec.Cmd
	log     string
	client  *http.Client
	exited  chan error
	keyDir  string
	infoDir string
}

// newLab sets up the lab; withNetns requires network namespaces (skip otherwise).
func newLab(t *testing.T, withNetns bool) *lab {
	t.Helper()
	l := &lab{t: t, dir: t.TempDir(), pods: map[int]*pod{}, wired: map[int]bool{}}
	l.prefix = fmt.Sprintf("mpt%d", os.Getpid()%100000)
	l.netns = netnsAvailable(t, l.prefix)
	if withNetns && !l.netns {
		t.Skip("needs root and `ip netns` (iproute2) for network namespaces; run as root (CI does)")
	}
	if l.netns {
		l.prefix = fmt.Sprintf("%s-%d", l.prefix, time.Now().UnixNano()%100000)
		l.ns("add", l.hub())
		l.ip(l.hub(), "link", "add", "br0", "type", "bridge")
		l.ip(l.hub(), "link", "set", "br0", "up")
	}
	t.Cleanup(l.close)
	return l
}

func netnsAvailable(t *testing.T, prefix string) bool {
	if os.Geteuid() != 0 || runtime.GOOS != "linux" || sysSetns == 0 {
		return false
	}
	if os.Getenv("MESHPROBE_TEST_NETNS") == "off" { // exercise the loopback fallback
		return false
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return false
	}
	probe := prefix + "-probe"
	if err := exec.Command("ip", "netns", "add", probe).Run(); err != nil {
		t.Logf("ip netns add failed (%v): using 127.0.0.x addresses", err)
		return false
	}
	_ = exec.Command("ip", "netns", "del", probe).Run()
	return true
}

func (l *lab) hub() string        { return l.prefix + "-hub" }
func (l *lab) space(i int) string { return fmt.Sprintf("%s-%d", l.prefix, i) }

// addr is pod i's IP.
func (l *lab) addr(i int) string {
	if l.netns {
		return fmt.Sprintf("198.18.0.%d", i+1)
	}
	return fmt.Sprintf("127.0.0.%d", i+11)
}

func (l *lab) ns(args ...string) {
	l.t.Helper()
	out, err := exec.Command("ip", append([]string{"netns"}, args...)...).CombinedOutput()
	require.NoError(l.t, err, "ip netns %v: %s", args, out)
	if args[0] == "add" {
		l.spaces = append(l.spaces, args[1])
	}
}

func (l *lab) ip(space string, args ...string) {
	l.t.Helper()
	out, err := exec.Command("ip", append([]string{"-n", space}, args...)...).CombinedOutput()
	require.NoError(l.t, err, "ip -n %s %v: %s", space, args, out)
}

// wire gives pod i its namespace, veth and address.
func (l *lab) wire(i int) {
	if !l.netns {
		return
	}
	s, port := l.space(i), fmt.Sprintf("p%d", i)
	l.ns("add", s)
	l.ip(l.hub(), "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", s)
	l.ip(l.hub(), "link", "set", port, "master", "br0", "up")
	l.ip(s, "addr", "add", l.addr(i)+"/24", "dev", "eth0")
	l.ip(s, "link", "set", "eth0", "up")
	l.ip(s, "link", "set", "lo", "up")
}

// link sets pod i's bridge port up or down: a partition that both sides see.
func (l *lab) link(i int, up bool) {
	state := "down"
	if up {
		state = "up"
	}
	l.ip(l.hub(), "link", "set", fmt.Sprintf("p%d", i), state)
}

// podSpec is what a pod gets: its labels, key file and extra env or flags.
type podSpec struct {
	app string
	// checks is the meshprobe.io/checks annotation.
	checks string
	keys   [][]byte // nil: no key file
	join   []int    // pods to join
	env    []string
	flags  []string
}

// start runs pod i.
func (l *lab) start(i int, spec podSpec) *pod {
	l.t.Helper()
	if !l.wired[i] {
		l.wire(i)
		l.wired[i] = true
	}
	p := &pod{i: i, exited: make(chan error, 1),
		keyDir: filepath.Join(l.dir, fmt.Sprintf("keys-%d", i)), infoDir: filepath.Join(l.dir, fmt.Sprintf("podinfo-%d", i)),
		log: filepath.Join(l.dir, fmt.Sprintf("pod-%d.log", i))}
	require.NoError(l.t, os.MkdirAll(p.keyDir, 0o755))
	require.NoError(l.t, os.MkdirAll(p.infoDir, 0o755))
	if spec.keys != nil {
		writeKeyFile(l.t, p.keyDir, spec.keys...)
	}
	atomicWrite(l.t, p.infoDir, map[string]string{
		"labels":      fmt.Sprintf("app=%q\npod-template-hash=\"abc\"\ntopology.kubernetes.io/zone=\"zone-%d\"\n", spec.app, i%2),
		"annotations": fmt.Sprintf("meshprobe.io/checks=%q\n", spec.checks),
	})
	var seeds []string
	for _, j := range spec.join {
		seeds = append(seeds, l.addr(j)+":14100")
	}
	env := append([]string{
		"PATH=" + os.Getenv("PATH"),
		"POD_NAME=pod-" + fmt.Sprint(i), "POD_NAMESPACE=lab", "POD_IP=" + l.addr(i),
		fmt.Sprintf("POD_UID=%08x-0000-0000-0000-000000000000", i+1), "NODE_NAME=node-" + fmt.Sprint(i%2),
		"MESHPROBE_OWNER_KIND=Deployment", "MESHPROBE_OWNER_NAME=" + spec.app,
		"MESHPROBE_GOSSIP_JOIN=" + strings.Join(seeds, ","),
		"MESHPROBE_GOSSIP_KEY_DIR=" + p.keyDir, "MESHPROBE_PODINFO_DIR=" + p.infoDir,
		"MESHPROBE_GOSSIP_BIND_ADDR=" + l.addr(i), "MESHPROBE_HTTP_ADDR=" + l.addr(i),
		"MESHPROBE_LOG_FORMAT=text",
	}, spec.env...)
	args := append([]string{"--podinfo-poll-interval=200ms"}, spec.flags...)
	if l.netns {
		p.cmd = exec.Command("ip", append([]string{"netns", "exec", l.space(i), sidecarBin}, args...)...)
		p.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: dialInNetns("/var/run/netns/" + l.space(i))}}
	} else {
		p.cmd = exec.Command(sidecarBin, args...)
		p.client = &http.Client{Timeout: 5 * time.Second}
	}
	p.cmd.Env = env
	logf, err := os.Create(p.log)
	require.NoError(l.t, err)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	require.NoError(l.t, p.cmd.Start())
	go func() { p.exited <- p.cmd.Wait(); _ = logf.Close() }()
	l.pods[i] = p
	return p
}

// close stops every pod, prints their logs when the test failed, and removes
// the namespaces.
func (l *lab) close() {
	for i, p := range l.pods {
		_ = p.cmd.Process.Kill()
		<-p.exited
		if l.t.Failed() {
			b, _ := os.ReadFile(p.log)
			l.t.Logf("--- pod %d log ---\n%s", i, tail(string(b), 40))
		}
	}
	for _, s := range l.spaces {
		_ = exec.Command("ip", "netns", "del", s).Run()
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// kill ends pod i with SIGKILL: no leave.
func (l *lab) kill(i int) {
	p := l.pods[i]
	require.NoError(l.t, p.cmd.Process.Kill())
	<-p.exited
	p.exited <- nil
}

// url is an HTTP URL on pod i.
func (l *lab) url(i int, path string) string {
	return fmt.Sprintf("http://%s:14101%s", l.addr(i), path)
}

// get fetches a path from pod i.
func (l *lab) get(i int, path string) (int, []byte, error) {
	resp, err := l.pods[i].client.Get(l.url(i, path))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// members returns pod i's /api/v1/members, nil when unreachable.
func (l *lab) members(i int) *membersResponse {
	code, b, err := l.get(i, PathMembers)
	if err != nil || code != http.StatusOK {
		return nil
	}
	var out membersResponse
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return &out
}

// states maps member pod names to their state as pod i sees them.
func (l *lab) states(i int) map[string]string {
	r := l.members(i)
	if r == nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range r.Members {
		out[m.Meta.Pod] = m.State
	}
	return out
}

// alivePods returns the pods that pod i lists as alive.
func (l *lab) alivePods(i int) []string {
	var out []string
	for name, st := range l.states(i) {
		if st == gossip.StateAlive || st == gossip.StateSuspect {
			out = append(out, name)
		}
	}
	return out
}

// dialInNetns dials from inside the network namespace at path: the socket is
// created on a thread switched into it, and stays there.
func dialInNetns(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			conn net.Conn
			err  error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			orig, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()))
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer orig.Close()
			target, err := os.Open(path)
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer target.Close()
			if err := setns(target.Fd()); err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			var d net.Dialer
			conn, err := d.DialContext(ctx, network, addr)
			if setns(orig.Fd()) == nil {
				runtime.UnlockOSThread() // else the thread ends with this goroutine
			}
			ch <- result{conn, err}
		}()
		r := <-ch
		return r.conn, r.err
	}
}

// sysSetns is setns(2)'s number; the syscall package does not define it.
var sysSetns = map[string]uintptr{"amd64": 308, "arm64": 268, "386": 346, "arm": 375, "riscv64": 268, "ppc64le": 350, "s390x": 339}[runtime.GOARCH]

func setns(fd uintptr) error {
	if _, _, e := syscall.RawSyscall(sysSetns, fd, syscall.CLONE_NEWNET, 0); e != 0 {
		return e
	}
	return nil
}

//go:build e2e

// Package e2e is meshprobe's end-to-end suite. It runs against any cluster given by
// a kubeconfig with meshprobe installed (MESHPROBE_E2E_KUBECONFIG, e.g. kind via
// kind/e2e.sh); without one it starts meshprobe-localcluster from $MESHPROBE_BIN
// (make e2e) and tears it down afterwards.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Environment variables of the suite.
const (
	EnvKubeconfig = "MESHPROBE_E2E_KUBECONFIG" // use this cluster instead of a local one
	EnvBin        = "MESHPROBE_BIN"            // directory with meshprobe-localcluster & co.
	EnvBackend    = "MESHPROBE_E2E_BACKEND"    // a name for reports: local (default) or kind
)

// suite is the cluster every test uses.
var suite struct {
	config  *rest.Config
	client  kubernetes.Interface
	backend string
	local   *localReady // nil on an external cluster
}

type localReady struct {
	Kubeconfig string   `json:"kubeconfig"`
	NodeKind   string   `json:"nodeKind"`
	Network    string   `json:"network"`
	Nodes      []string `json:"nodes"`
	Dir        string   `json:"dir"`
	Meshprobe  bool     `json:"meshprobe"`
}

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	kubeconfig := os.Getenv(EnvKubeconfig)
	suite.backend = os.Getenv(EnvBackend)
	if kubeconfig == "" {
		stop, ready, err := startLocal()
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: starting the local cluster: %v\n", err)
			return 1
		}
		defer stop()
		suite.local, kubeconfig = ready, ready.Kubeconfig
		if suite.backend == "" {
			suite.backend = "local/" + ready.NodeKind
		}
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: kubeconfig %s: %v\n", kubeconfig, err)
		return 1
	}
	cfg.QPS, cfg.Burst = 50, 100
	suite.config = cfg
	if suite.client, err = kubernetes.NewForConfig(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: backend %s, apiserver %s\n", suite.backend, cfg.Host)
	if err := requireRealNodes(suite.client); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		return 1
	}
	return m.Run()
}

// standInRuntime is the container runtime version that meshprobe-localcluster's
// process nodes (a stand-in for the kubelet) report.
const standInRuntime = "localprocess://"

// requireRealNodes fails the suite unless every Node runs a real kubelet and container
// runtime: what the suite proves is only worth it on them.
func requireRealNodes(client kubernetes.Interface) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	if len(nodes.Items) == 0 {
		return fmt.Errorf("the cluster has no nodes")
	}
	for _, n := range nodes.Items {
		info := n.Status.NodeInfo
		fmt.Fprintf(os.Stderr, "e2e: node %s: kubelet %s, runtime %s\n", n.Name, info.KubeletVersion, info.ContainerRuntimeVersion)
		if strings.HasPrefix(info.ContainerRuntimeVersion, standInRuntime) || strings.Contains(info.KubeletVersion, "meshprobe-localcluster") {
			return fmt.Errorf("node %s is meshprobe-localcluster's process stand-in, not a kubelet with a container runtime: run make e2e as root (real nodes)", n.Name)
		}
	}
	return nil
}

// startLocal runs `meshprobe-localcluster up` with the e2e overlay of the manifests
// and waits for its ready file.
func startLocal() (func(), *localReady, error) {
	bin := os.Getenv(EnvBin)
	if bin == "" {
		return nil, nil, fmt.Errorf("set %s to the directory of the built binaries (make e2e does), or %s to a cluster", EnvBin, EnvKubeconfig)
	}
	unlock, err := lockMachine(20 * time.Minute)
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "meshprobe-e2e-")
	if err != nil {
		unlock()
		return nil, nil, err
	}
	readyFile := filepath.Join(dir, "ready.json")
	logPath := filepath.Join(dir, "localcluster.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	cmd := exec.Command(filepath.Join(bin, "meshprobe-localcluster"), "up",
		"--dir", filepath.Join(dir, "cluster"), "--ready-file", readyFile,
		"--manifests", "testdata/overlay", "--log-format", "text",
		// a pod range of its own, apart from other local clusters on this machine
		"--cluster-cidr", e2eCIDR)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		unlock()
		return nil, nil, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(60 * time.Second):
			_ = cmd.Process.Kill()
		}
		_ = logFile.Close()
		_ = os.RemoveAll(dir)
		unlock()
	}
	ready, err := waitReady(readyFile, done, 5*time.Minute)
	if err != nil {
		logTail := tail(logPath, 40)
		stop()
		return nil, nil, fmt.Errorf("%w; log of meshprobe-localcluster:\n%s", err, logTail)
	}
	fmt.Fprintf(os.Stderr, "e2e: local cluster with meshprobe ready in %s (%s)\n", time.Since(start).Round(time.Millisecond), ready.Network)
	return stop, ready, nil
}

func waitReady(path string, done <-chan error, timeout time.Duration) (*localReady, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if data, err := os.ReadFile(path); err == nil {
			var r localReady
			if err := json.Unmarshal(data, &r); err != nil {
				return nil, err
			}
			return &r, nil
		}
		select {
		case err := <-done:
			return nil, fmt.Errorf("meshprobe-localcluster exited: %v", err)
		case <-ctx.Done():
			return nil, fmt.Errorf("meshprobe-localcluster not ready after %s", timeout)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func tail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := splitLines(string(data))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

package gossipkeys

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/webhookcerts"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// labNet is the loopback range of this package's gossip lab, apart from the
// ranges other packages' tests use.
const labNet = "127.0.9."

// buildSidecar builds cmd/meshprobe-sidecar into the test's temp dir.
func buildSidecar(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "meshprobe-sidecar")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/meshprobe/meshprobe/cmd/meshprobe-sidecar").CombinedOutput()
	require.NoError(t, err, "building meshprobe-sidecar: %s", out)
	return bin
}

// sidecar is one real meshprobe-sidecar process standing in for an injected pod.
type sidecar struct {
	ns, pod, addr, keyDir, log string
	cmd                        *exec.Cmd
	exited                     chan struct{}
}

// startSidecar runs the binary with the env the injected pod spec gives it; its
// key directory starts empty, as when the namespace has no copy yet.
func startSidecar(t *testing.T, bin, dir, ns, pod string, i int, join string) *sidecar {
	t.Helper()
	s := &sidecar{ns: ns, pod: pod, addr: fmt.Sprintf("%s%d", labNet, 20+i),
		keyDir: filepath.Join(dir, pod, "keys"), log: filepath.Join(dir, pod+".log"), exited: make(chan struct{})}
	info := filepath.Join(dir, pod, "podinfo")
	require.NoError(t, os.MkdirAll(s.keyDir, 0o755))
	require.NoError(t, webhookcerts.WriteFiles(info, map[string][]byte{
		contract.PodInfoLabelsFile: []byte(`app="` + pod[:3] + `"` + "\n"), contract.PodInfoAnnotationsFile: nil,
	}, 0o644))
	s.cmd = exec.Command(bin)
	s.cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), contract.EnvPodName + "=" + pod, contract.EnvPodNamespace + "=" + ns,
		contract.EnvPodIP + "=" + s.addr, fmt.Sprintf("%s=%08x-0000-4000-8000-000000000000", contract.EnvPodUID, i+1),
		contract.EnvNodeName + "=node-1", contract.EnvOwnerKind + "=" + contract.OwnerDeployment, contract.EnvOwnerName + "=" + pod[:3],
		contract.EnvGossipJoin + "=" + join, contract.EnvGossipKeyDir + "=" + s.keyDir, contract.EnvPodInfoDir + "=" + info,
		"MESHPROBE_GOSSIP_BIND_ADDR=" + s.addr, "MESHPROBE_HTTP_ADDR=" + s.addr, "MESHPROBE_LOG_FORMAT=text",
		"MESHPROBE_MEMBERS_VIEW=all", // the lab reads every member's key fingerprints
	}
	logf, err := os.Create(s.log)
	require.NoError(t, err)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	require.NoError(t, s.cmd.Start())
	go func() { _ = s.cmd.Wait(); _ = logf.Close(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			b, _ := os.ReadFile(s.log)
			t.Logf("--- %s/%s log ---\n%s", ns, pod, b)
		}
	})
	return s
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// members returns the sidecar's /api/v1/members list.
func (s *sidecar) members() ([]gossip.Member, error) {
	resp, err := httpClient.Get(fmt.Sprintf("http://%s:%d/api/v1/members", s.addr, contract.DefaultHTTPPort))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Members []gossip.Member `json:"members"`
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v1/members: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	return body.Members, nil
}

// kubelet plays the kubelet's part for Secret volumes: when a gossip-key
// Secret changes, it rewrites the key file of every "pod" in that namespace
// atomically, each after its own random delay (as kubelets sync at different
// times).
type kubelet struct {
	mu   sync.Mutex
	dirs map[string][]chan []byte // namespace -> one queue per key directory
}

func startKubelet(t *testing.T, ctx context.Context, client kubernetes.Interface, maxDelay time.Duration, dirs map[string][]string) {
	t.Helper()
	k := &kubelet{dirs: map[string][]chan []byte{}}
	for ns, list := range dirs {
		for _, dir := range list {
			ch := make(chan []byte, 16)
			k.dirs[ns] = append(k.dirs[ns], ch)
			go k.writer(ctx, t, dir, ch, maxDelay)
		}
	}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = fields.OneTermEqualSelector("metadata.name", contract.GossipKeySecretName).String()
	}))
	inf := f.Core().V1().Secrets().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { k.changed(obj) },
		UpdateFunc: func(_, obj any) { k.changed(obj) },
	})
	require.NoError(t, err)
	f.Start(ctx.Done())
	t.Cleanup(f.Shutdown)
}

func (k *kubelet) changed(obj any) {
	s, ok := obj.(*corev1.Secret)
	if !ok {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, ch := range k.dirs[s.Namespace] {
		ch <- s.Data[contract.GossipKeySecretKey]
	}
}

func (k *kubelet) writer(ctx context.Context, t *testing.T, dir string, ch chan []byte, maxDelay time.Duration) {
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-ch:
			time.Sleep(rand.N(maxDelay))
			if err := webhookcerts.WriteFiles(dir, map[string][]byte{contract.GossipKeySecretKey: data}, 0o444); err != nil {
				t.Errorf("kubelet: writing %s: %v", dir, err)
			}
		}
	}
}

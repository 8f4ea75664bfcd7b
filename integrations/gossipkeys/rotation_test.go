package gossipkeys

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestRotationLiveMesh rotates the key of a live mesh of real sidecar
// processes, against a real kube-apiserver: once on demand, with a leader
// change in the middle, and once on schedule. Every member's own view
// (/api/v1/members, and the leader's) is sampled throughout: none may lose a
// member at any step.
func TestRotationLiveMesh(t *testing.T) {
	bin := buildSidecar(t)
	env := testenv.Start(t)
	client := env.Client
	cfg := fastConfig()
	createNamespace(t, client, cfg.Namespace, nil)
	createNamespace(t, client, "team-a", map[string]string{contract.LabelInject: contract.NamespaceInjectEnabled})
	createNamespace(t, client, "team-b", map[string]string{contract.LabelMesh: contract.NamespaceMeshEnabled}) // pods opt in one by one

	dir := t.TempDir()
	seed := labNet + "10"
	seedAddr := net.JoinHostPort(seed, strconv.Itoa(contract.DefaultGossipPort))
	sidecars := []*sidecar{
		startSidecar(t, bin, dir, "team-a", "web-0", 0, seedAddr),
		startSidecar(t, bin, dir, "team-a", "web-1", 1, seedAddr),
		startSidecar(t, bin, dir, "team-b", "api-0", 2, seedAddr),
	}
	for _, s := range sidecars {
		createMemberPod(t, client, s.ns, s.pod, true)
	}
	leaderKeys := filepath.Join(dir, "leader-keys")
	mesh := startLeaderMesh(t, seed, leaderKeys)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	startKubelet(t, ctx, client, 1500*time.Millisecond, map[string][]string{
		cfg.Namespace: {leaderKeys}, "team-a": {sidecars[0].keyDir, sidecars[1].keyDir}, "team-b": {sidecars[2].keyDir},
	})
	stopA := runController(t, client, cfg, mesh, "a")

	m := &monitor{t: t, client: client, ns: cfg.Namespace, mesh: mesh, sidecars: sidecars, want: len(sidecars) + 1}
	require.Eventually(t, m.converged, 40*time.Second, 200*time.Millisecond,
		"the sidecars wait for their namespace's copy, then the mesh converges")
	old := sourceKeys(t, client, cfg.Namespace)
	require.Len(t, old, 1)
	go m.run(ctx)

	parent := t
	t.Run("on demand, with a leader change mid-rotation", func(t *testing.T) {
		requestRotation(t, client, cfg.Namespace, "round-1")
		require.Eventually(t, func() bool { return m.phase() == PhaseAdding }, 10*time.Second, 20*time.Millisecond)
		stopA() // the leader goes away while the new key is being added
		b := cfg
		b.RotateEvery, b.Resync = 12*time.Second, 500*time.Millisecond
		runController(parent, client, b, mesh, "b") // runs on for the scheduled round
		require.Eventually(t, func() bool {
			s := secret(t, client, cfg.Namespace)
			return s.Annotations[AnnotationRotateHandled] == "round-1" && s.Annotations[AnnotationPhase] == PhaseStable
		}, 60*time.Second, 100*time.Millisecond, "the new leader finishes the rotation")
		now := sourceKeys(t, client, cfg.Namespace)
		require.Len(t, now, 1, "the old key is dropped")
		assert.NotEqual(t, old[0], now[0])
		m.waitKeys(t, now.Fingerprints())
		old = now
	})

	t.Run("on schedule", func(t *testing.T) {
		require.Eventually(t, func() bool {
			k := sourceKeys(t, client, cfg.Namespace)
			return len(k) == 1 && k[0] != nil && gossip.Fingerprint(k[0]) != gossip.Fingerprint(old[0]) && m.phase() == PhaseStable
		}, 60*time.Second, 100*time.Millisecond, "a scheduled rotation runs and finishes")
		m.waitKeys(t, sourceKeys(t, client, cfg.Namespace).Fingerprints())
	})

	cancel()
	m.wg.Wait()
	t.Run("no member was lost at any step", func(t *testing.T) {
		m.mu.Lock()
		defer m.mu.Unlock()
		t.Logf("samples with the full mesh, by phase: %v; suspect sightings: %d", m.samples, m.suspects)
		assert.Empty(t, m.violations)
		assert.GreaterOrEqual(t, m.samples[PhaseAdding], 2, "the adding phase was observed")
		assert.GreaterOrEqual(t, m.samples[PhasePromoting], 2, "the promoting phase was observed")
		assert.Zero(t, m.suspects, "no member was ever suspected")
	})
	reasons := eventReasons(t, client, cfg.Namespace, "Secret", contract.GossipKeySecretName)
	for _, r := range []string{ReasonRotationStarted, ReasonKeyPromoted, ReasonKeyRotated} {
		assert.Contains(t, reasons, r)
	}
}

// startLeaderMesh runs the leader's own gossip member (the control plane is a
// seed member), reading its key file from the mounted source Secret.
func startLeaderMesh(t *testing.T, addr, keyDir string) *gossip.Mesh {
	t.Helper()
	cfg := gossip.DefaultConfig()
	cfg.Name = gossip.MemberName(contract.DefaultNamespace, "meshprobe-webhook-0", "cafe0000-0000-4000-8000-000000000000")
	cfg.Meta = gossip.Meta{Pod: "meshprobe-webhook-0", Namespace: contract.DefaultNamespace, Role: gossip.RoleControlPlane}
	cfg.BindAddr, cfg.AdvertiseAddr = addr, addr
	cfg.KeyFile = filepath.Join(keyDir, contract.GossipKeySecretKey)
	cfg.KeyPollInterval = 500 * time.Millisecond
	cfg.Join = nil // the sidecars join the leader
	cfg.Logger = testLogger(t).With("member", "leader")
	mesh, err := gossip.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); assert.NoError(t, mesh.Run(ctx)) }()
	t.Cleanup(func() { cancel(); <-done })
	return mesh
}

func requestRotation(t *testing.T, client kubernetes.Interface, ns, value string) {
	t.Helper()
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, contract.AnnotationRotateKey, value)
	_, err := client.CoreV1().Secrets(ns).Patch(t.Context(), contract.GossipKeySecretName, types.MergePatchType, []byte(patch), metav1.PatchOptions{})
	require.NoError(t, err)
}

func sourceKeys(t *testing.T, client kubernetes.Interface, ns string) gossip.Keys {
	t.Helper()
	keys, err := secretKeys(secret(t, client, ns))
	require.NoError(t, err)
	return keys
}

// monitor samples every member's view of the mesh, with the rotation phase.
type monitor struct {
	t        *testing.T
	client   kubernetes.Interface
	ns       string
	mesh     *gossip.Mesh
	sidecars []*sidecar
	want     int // live members expected in every view
	wg       sync.WaitGroup

	mu         sync.Mutex
	samples    map[string]int // full-mesh samples per phase
	violations []string
	suspects   int
}

// views returns each member's list: the leader's and every sidecar's.
func (m *monitor) views() (map[string][]gossip.Member, error) {
	out := map[string][]gossip.Member{"leader": m.mesh.Members()}
	for _, s := range m.sidecars {
		list, err := s.members()
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", s.ns, s.pod, err)
		}
		out[s.ns+"/"+s.pod] = list
	}
	return out, nil
}

func (m *monitor) converged() bool {
	views, err := m.views()
	if err != nil {
		return false
	}
	for _, list := range views {
		if alive, _ := count(list); alive != m.want {
			return false
		}
	}
	return true
}

func count(list []gossip.Member) (alive, suspect int) {
	for _, mem := range list {
		switch mem.State {
		case gossip.StateAlive:
			alive++
		case gossip.StateSuspect:
			suspect++
		}
	}
	return alive, suspect
}

func (m *monitor) phase() string {
	s := secret(m.t, m.client, m.ns)
	return readState(s).Phase
}

// run samples until ctx ends. A view with fewer live members than the mesh has,
// or with a member dead or gone, is a violation.
func (m *monitor) run(ctx context.Context) {
	m.wg.Add(1)
	defer m.wg.Done()
	m.mu.Lock()
	m.samples = map[string]int{}
	m.mu.Unlock()
	for ctx.Err() == nil {
		phase := m.phase()
		views, err := m.views()
		m.mu.Lock()
		full := err == nil
		if err != nil && ctx.Err() == nil {
			m.violations = append(m.violations, err.Error())
		}
		for who, list := range views {
			alive, suspect := count(list)
			m.suspects += suspect
			if alive+suspect != m.want {
				full = false
				m.violations = append(m.violations, fmt.Sprintf("%s sees %d live members in phase %s: %s", who, alive+suspect, phase, describe(list)))
			}
		}
		if full {
			m.samples[phase]++
		}
		m.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

func describe(list []gossip.Member) string {
	var parts []string
	for _, mem := range list {
		parts = append(parts, mem.Meta.Pod+"="+mem.State)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// waitKeys waits until every member announces exactly these keys.
func (m *monitor) waitKeys(t *testing.T, want []string) {
	t.Helper()
	require.Eventually(t, func() bool {
		views, err := m.views()
		if err != nil {
			return false
		}
		for _, list := range views {
			for _, mem := range list {
				if !slices.Equal(mem.Meta.Keys, want) {
					return false
				}
			}
		}
		return true
	}, 20*time.Second, 200*time.Millisecond, "every member announces keys %v", want)
}

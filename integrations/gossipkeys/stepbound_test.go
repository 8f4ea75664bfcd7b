package gossipkeys

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
)

// TestRotationStepBound runs a rotation on a real kube-apiserver, on a fake
// clock, while a Ready injected pod in an opted-in namespace never shows up in
// the mesh with the key: each step waits StepTimeout, counted from the
// phase-since annotation (so across a leader change), then proceeds with a
// Warning Event that names the pod. A Ready member pod in a namespace that is not
// opted in is never waited for: it gets no key to announce.
func TestRotationStepBound(t *testing.T) {
	env := testenv.Start(t)
	client := env.Client
	clk := testingclock.NewFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.Clock, cfg.StepTimeout = clk, 15*time.Minute
	createNamespace(t, client, cfg.Namespace, nil)
	createNamespace(t, client, "team", map[string]string{contract.LabelMesh: contract.NamespaceMeshEnabled})
	createNamespace(t, client, "outside", nil)
	createMemberPod(t, client, "team", "stuck", true)
	createMemberPod(t, client, "outside", "loner", true)
	leaderView := view{status: gossip.StatusRunning}

	stopA := runController(t, client, cfg, leaderView, "a")
	require.Eventually(t, func() bool { return secret(t, client, "team") != nil }, 20*time.Second, poll, "the opted-in namespace gets its copy")
	requestRotation(t, client, cfg.Namespace, "go")
	require.Eventually(t, func() bool { return phase(t, client, cfg.Namespace) == PhaseAdding }, 10*time.Second, poll)
	adding := readState(secret(t, client, cfg.Namespace))
	stopA()

	clk.Step(cfg.StepTimeout) // the bound passes while no leader runs
	runController(t, client, cfg, leaderView, "b")
	require.Eventually(t, func() bool { return phase(t, client, cfg.Namespace) == PhasePromoting }, 10*time.Second, poll,
		"the new leader counts the bound from the annotation: it promotes at once")
	promoting := readState(secret(t, client, cfg.Namespace))
	assert.Equal(t, cfg.StepTimeout, promoting.PhaseSince.Sub(adding.PhaseSince))

	// The next step waits its own bound: advance the clock a minute at a time.
	require.Eventually(t, func() bool {
		clk.Step(time.Minute)
		return phase(t, client, cfg.Namespace) == PhaseStable
	}, 20*time.Second, poll, "the old key goes once the promoting step's bound passed")
	done := readState(secret(t, client, cfg.Namespace))
	assert.GreaterOrEqual(t, done.PhaseSince.Sub(promoting.PhaseSince), cfg.StepTimeout, "not before the bound")
	keys := sourceKeys(t, client, cfg.Namespace)
	require.Len(t, keys, 1, "the old key is dropped")
	assert.Equal(t, adding.Next, gossip.Fingerprint(keys[0]))

	var timeouts []corev1.Event
	require.Eventually(t, func() bool {
		timeouts = timeoutEvents(t, client, cfg.Namespace)
		return len(timeouts) == 2
	}, 10*time.Second, poll, "one Warning Event per step that proceeded without a member")
	for _, e := range timeouts {
		assert.Equal(t, corev1.EventTypeWarning, e.Type)
		assert.Contains(t, e.Message, "pod team/stuck")
		assert.NotContains(t, e.Message, "loner", "a pod outside the opted-in namespaces is not waited for")
	}
}

func phase(t *testing.T, client kubernetes.Interface, ns string) string {
	t.Helper()
	return readState(secret(t, client, ns)).Phase
}

// timeoutEvents returns the GossipKeyRotationTimeout Events on the source Secret.
func timeoutEvents(t *testing.T, client kubernetes.Interface, ns string) []corev1.Event {
	t.Helper()
	var out []corev1.Event
	for _, e := range events(t, client, ns, "Secret", contract.GossipKeySecretName) {
		if e.Reason == ReasonRotationTimeout {
			out = append(out, e)
		}
	}
	return out
}

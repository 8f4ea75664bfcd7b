package gossipkeys

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// The source Secret at each step of a requested rotation, as the previous
// release wrote it (testdata/state/README.md).
var goldenSteps = []string{"v1-1-stable.yaml", "v1-2-adding.yaml", "v1-3-promoting.yaml", "v1-4-rotated.yaml"}

// goldenT0 is when the golden Secret was created; step i was written i days later.
var goldenT0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func goldenSecret(t *testing.T, name string) *corev1.Secret {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "state", name))
	require.NoError(t, err)
	var s corev1.Secret
	require.NoError(t, yaml.UnmarshalStrict(b, &s))
	return &s
}

// step runs one rotation step of this release on a Secret, as the runtime does
// (pass.go rotate), and returns the Secret it would write, nil for none.
func step(t *testing.T, src *corev1.Secret, in input) (*corev1.Secret, []string, *plan) {
	t.Helper()
	keys, err := secretKeys(src)
	require.NoError(t, err)
	in.request = src.Annotations[contract.AnnotationRotateKey]
	if in.rand == nil {
		in.rand = bytes.NewReader(bytes.Repeat([]byte{0x02}, keySize))
	}
	p, blockers, err := decide(keys, readState(src), in)
	require.NoError(t, err)
	if p == nil {
		return nil, blockers, nil
	}
	next := src.DeepCopy()
	next.Data[contract.GossipKeySecretKey] = encodeKeys(p.keys)
	p.state.write(next.Annotations, p.keys)
	return next, nil, p
}

// A control plane upgraded in any phase of a rotation reads the state the
// previous release left in the Secret and takes the step it would have taken:
// the Secrets this release writes are the previous release's, to the byte.
func TestUpgradeResumesRotation(t *testing.T) {
	open := func(string, bool) []string { return nil }
	for i, name := range goldenSteps[:3] {
		t.Run(name, func(t *testing.T) {
			src := goldenSecret(t, name)
			if i == 0 {
				src.Annotations[contract.AnnotationRotateKey] = "2026-12-01" // the request the golden rotation answered
			}
			now := goldenT0.Add(time.Duration(i+1) * 24 * time.Hour)
			got, _, _ := step(t, src, input{now: now, stepTimeout: 15 * time.Minute, inSync: true, gate: open})
			require.NotNil(t, got, "the rotation resumes")
			want := goldenSecret(t, goldenSteps[i+1])
			assert.Equal(t, want.Annotations, got.Annotations)
			assert.Equal(t, string(want.Data[contract.GossipKeySecretKey]), string(got.Data[contract.GossipKeySecretKey]))
		})
	}
	t.Run("a handled request does not rotate again", func(t *testing.T) {
		got, _, _ := step(t, goldenSecret(t, goldenSteps[3]), input{now: goldenT0.Add(5 * 24 * time.Hour), gate: open, inSync: true})
		assert.Nil(t, got)
	})
}

// The wait of a step is bounded from the phase start the previous release
// recorded: an upgrade neither restarts the wait nor skips it.
func TestUpgradeKeepsTheStepsWait(t *testing.T) {
	closed := func(string, bool) []string { return []string{"shop/web-1"} }
	for _, name := range goldenSteps[1:3] {
		src := goldenSecret(t, name)
		since := readState(src).PhaseSince
		require.False(t, since.IsZero(), name)

		got, blockers, _ := step(t, src, input{now: since.Add(10 * time.Minute), stepTimeout: 15 * time.Minute, inSync: true, gate: closed})
		assert.Nil(t, got, "%s: within the bound the step waits", name)
		assert.Equal(t, []string{"shop/web-1"}, blockers, name)

		got, _, p := step(t, src, input{now: since.Add(15 * time.Minute), stepTimeout: 15 * time.Minute, inSync: true, gate: closed})
		require.NotNil(t, got, "%s: the bound passed since the previous release began the phase", name)
		assert.Equal(t, []string{"shop/web-1"}, p.overdue, name)
	}
}

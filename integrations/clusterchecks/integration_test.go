package clusterchecks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/testenv"
	"github.com/meshprobe/meshprobe/internal/testkit/testlog"
)

const (
	ns   = "meshprobe-system"
	wait = 20 * time.Second
	poll = 20 * time.Millisecond
)

// TestClusterChecks runs the task against a real kube-apiserver and etcd:
// sources added, changed and deleted reach the generated ConfigMap; invalid,
// duplicate and over-budget sources are skipped with Events while the others
// are delivered; hand edits and deletion are undone; a pass with nothing new
// writes nothing, and neither does a new leader.
func TestClusterChecks(t *testing.T) {
	env := testenv.Start(t)
	h := &harness{t: t, client: env.Client, passes: &passLog{}}
	_, err := h.client.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	h.source("a", map[string]string{"checks.yaml": httpCheck("a1") + httpCheck("a2")})
	h.source("b", map[string]string{"checks.yaml": "- name: broken\n  type: http\n"})
	h.source("c", map[string]string{"checks.yaml": httpCheck("a1")})
	h.source("d", map[string]string{"more.yaml": httpCheck("d1")})
	h.configMap(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "unlabelled"}, Data: map[string]string{"checks.yaml": httpCheck("u1")}})
	reg := prometheus.NewRegistry()
	stop := h.run(reg, "leader-1")

	t.Run("the valid sources are delivered, the others reported", func(t *testing.T) {
		cm := h.waitChecks(t, "a1", "a2", "d1")
		assert.Equal(t, "a/checks.yaml,d/more.yaml", cm.Annotations[AnnotationSources])
		assert.Equal(t, contract.ManagedBy, cm.Labels[contract.LabelManagedBy])
		h.waitEvent(t, "b", StateInvalid, `key "checks.yaml": its checks are not delivered to the agents (invalid): check "broken": field "url": required`)
		h.waitEvent(t, "c", StateDuplicate, `check "a1" is already delivered from a/checks.yaml`)
		require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(expositon(2, 1, 1, 0, 3, len(cm.Data[Key])))))
	})
	t.Run("a changed source is delivered", func(t *testing.T) {
		h.update("a", func(cm *corev1.ConfigMap) { cm.Data["checks.yaml"] = httpCheck("a1") + httpCheck("a3") })
		h.waitChecks(t, "a1", "a3", "d1")
	})
	t.Run("a deleted source is dropped", func(t *testing.T) {
		require.NoError(t, h.client.CoreV1().ConfigMaps(ns).Delete(t.Context(), "d", metav1.DeleteOptions{}))
		cm := h.waitChecks(t, "a1", "a3")
		assert.Equal(t, "a/checks.yaml", cm.Annotations[AnnotationSources])
	})
	t.Run("a source over the budget is skipped", func(t *testing.T) {
		h.source("e", map[string]string{"k": bodyCheck("e1", 200<<10)})
		h.source("f", map[string]string{"k": bodyCheck("f1", 100<<10)})
		h.source("g", map[string]string{"k": httpCheck("g1")})
		h.waitChecks(t, "a1", "a3", "e1", "g1")
		h.waitEvent(t, "f", StateOverBudget, "over the limit of 262144")
	})
	t.Run("no write when nothing changed", func(t *testing.T) {
		before := h.target(t)
		mark := h.passes.mark()
		h.update("a", func(cm *corev1.ConfigMap) { cm.Annotations = map[string]string{"team": "a"} })
		h.source("h", map[string]string{"checks.yaml": "not a list"})
		passes := h.passes.waitFor(t, mark, "valid=3 invalid=2 duplicate=1 over_budget=1")
		for _, p := range passes {
			assert.Empty(t, p.wrote, "a pass wrote although the checks did not change")
		}
		assert.Equal(t, before.ResourceVersion, h.target(t).ResourceVersion)
	})
	t.Run("hand edits are undone", func(t *testing.T) {
		want := h.target(t)
		h.update(ConfigMapName, func(cm *corev1.ConfigMap) {
			cm.Data = map[string]string{Key: "[]", "extra": "x"}
			cm.Annotations[AnnotationSources] = "forged"
			delete(cm.Labels, contract.LabelManagedBy)
			cm.Labels["mine"] = "kept"
		})
		require.Eventually(t, func() bool {
			cm := h.target(t)
			return assert.ObjectsAreEqual(want.Data, cm.Data) && cm.Annotations[AnnotationSources] == want.Annotations[AnnotationSources] &&
				cm.Labels[contract.LabelManagedBy] == contract.ManagedBy
		}, wait, poll)
		assert.Equal(t, "kept", h.target(t).Labels["mine"], "labels that are not meshprobe's are left alone")
	})
	t.Run("a deleted ConfigMap is created again", func(t *testing.T) {
		want := h.target(t)
		require.NoError(t, h.client.CoreV1().ConfigMaps(ns).Delete(t.Context(), ConfigMapName, metav1.DeleteOptions{}))
		require.Eventually(t, func() bool {
			cm, err := h.client.CoreV1().ConfigMaps(ns).Get(t.Context(), ConfigMapName, metav1.GetOptions{})
			return err == nil && cm.UID != want.UID && assert.ObjectsAreEqual(want.Data, cm.Data)
		}, wait, poll)
	})
	t.Run("a new leader writes nothing", func(t *testing.T) {
		stop()
		n, err := testutil.GatherAndCount(reg)
		require.NoError(t, err)
		assert.Zero(t, n, "only the leader exports the metrics")
		before := h.target(t)
		mark := h.passes.mark()
		h.run(prometheus.NewRegistry(), "leader-2")
		p := h.passes.waitFor(t, mark, "valid=3 invalid=2 duplicate=1 over_budget=1")
		assert.Empty(t, p[len(p)-1].wrote)
		assert.Equal(t, before.ResourceVersion, h.target(t).ResourceVersion)
	})
}

// expositon is the task's metrics.
func expositon(valid, invalid, duplicate, overBudget, checks, bytes int) string {
	return fmt.Sprintf(`
# HELP %[1]s %[2]s
# TYPE %[1]s gauge
%[1]s{state="duplicate"} %[5]d
%[1]s{state="invalid"} %[4]d
%[1]s{state="over_budget"} %[6]d
%[1]s{state="valid"} %[3]d
# HELP %[7]s %[8]s
# TYPE %[7]s gauge
%[7]s %[9]d
# HELP %[10]s %[11]s
# TYPE %[10]s gauge
%[10]s %[12]d
`, sourcesName, sourcesHelp, valid, invalid, duplicate, overBudget, checksName, checksHelp, checks, bytesName, bytesHelp, bytes)
}

// harness drives one test's cluster.
type harness struct {
	t      *testing.T
	client kubernetes.Interface
	passes *passLog
}

// run runs the task as a leader until stop or the end of the test.
func (h *harness) run(reg prometheus.Registerer, name string) (stop func()) {
	h.t.Helper()
	cfg := DefaultConfig()
	cfg.Namespace, cfg.MinInterval, cfg.Resync = ns, 10*time.Millisecond, time.Hour
	log := slog.New(h.passes.wrap(testlog.New(h.t, slog.LevelInfo).Handler())).With("leader", name)
	c, err := New(cfg, h.client, log, reg)
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); assert.NoError(h.t, c.Run(ctx)) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	h.t.Cleanup(stop)
	return stop
}

func (h *harness) configMap(cm *corev1.ConfigMap) {
	h.t.Helper()
	_, err := h.client.CoreV1().ConfigMaps(ns).Create(h.t.Context(), cm, metav1.CreateOptions{})
	require.NoError(h.t, err)
}

// source creates a source ConfigMap.
func (h *harness) source(name string, data map[string]string) {
	h.t.Helper()
	h.configMap(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelSource: LabelSourceValue}}, Data: data})
}

// update changes a ConfigMap as an admin.
func (h *harness) update(name string, change func(*corev1.ConfigMap)) {
	h.t.Helper()
	cm, err := h.client.CoreV1().ConfigMaps(ns).Get(h.t.Context(), name, metav1.GetOptions{})
	require.NoError(h.t, err)
	change(cm)
	_, err = h.client.CoreV1().ConfigMaps(ns).Update(h.t.Context(), cm, metav1.UpdateOptions{})
	require.NoError(h.t, err)
}

// target is the generated ConfigMap.
func (h *harness) target(t *testing.T) *corev1.ConfigMap {
	t.Helper()
	cm, err := h.client.CoreV1().ConfigMaps(ns).Get(t.Context(), ConfigMapName, metav1.GetOptions{})
	require.NoError(t, err)
	return cm
}

// waitChecks waits until the generated ConfigMap's checks.yaml holds the named
// checks, in order, and returns it.
func (h *harness) waitChecks(t *testing.T, names ...string) *corev1.ConfigMap {
	t.Helper()
	var cm *corev1.ConfigMap
	var got []string
	require.Eventually(t, func() bool {
		var err error
		cm, err = h.client.CoreV1().ConfigMaps(ns).Get(t.Context(), ConfigMapName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false
		}
		require.NoError(t, err)
		checks, err := spec.Parse([]byte(cm.Data[Key]))
		require.NoError(t, err)
		got = got[:0]
		for _, c := range checks {
			got = append(got, c.Name)
		}
		return assert.ObjectsAreEqual(names, got)
	}, wait, poll, "checks %v, want %v", got, names)
	return cm
}

// waitEvent waits for a Warning Event with the state's reason on the source
// ConfigMap whose message contains text.
func (h *harness) waitEvent(t *testing.T, source string, state State, text string) {
	t.Helper()
	sel := fields.Set{"involvedObject.name": source, "involvedObject.kind": "ConfigMap", "reason": state.Reason()}.AsSelector().String()
	var seen []string
	require.Eventually(t, func() bool {
		list, err := h.client.CoreV1().Events(ns).List(t.Context(), metav1.ListOptions{FieldSelector: sel})
		require.NoError(t, err)
		seen = seen[:0]
		for _, e := range list.Items {
			seen = append(seen, e.Message)
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, text) {
				return true
			}
		}
		return false
	}, wait, poll, "no %s Event on %s containing %q; seen %q", state.Reason(), source, text, seen)
}

// pass is one "pass done" log line of the task.
type pass struct{ sources, wrote string }

// passLog records the task's "pass done" lines, so a test can wait for the
// pass that saw its change.
type passLog struct {
	mu     sync.Mutex
	passes []pass
}

// mark is the number of passes so far.
func (l *passLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.passes)
}

// waitFor waits for a pass after mark whose source counts are sources, and
// returns the passes after mark up to it.
func (l *passLog) waitFor(t *testing.T, mark int, sources string) []pass {
	t.Helper()
	var got []pass
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for i := mark; i < len(l.passes); i++ {
			if l.passes[i].sources == sources {
				got = append([]pass(nil), l.passes[mark:i+1]...)
				return true
			}
		}
		return false
	}, wait, poll, "no pass with sources %s", sources)
	return got
}

// wrap returns a handler that records the passes and passes the records next
// handles on to it.
func (l *passLog) wrap(next slog.Handler) slog.Handler { return passHandler{next: next, log: l} }

type passHandler struct {
	next slog.Handler
	log  *passLog
}

func (h passHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h passHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == passDone {
		var p pass
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "sources":
				p.sources = a.Value.String()
			case "wrote":
				p.wrote = a.Value.String()
			}
			return true
		})
		h.log.mu.Lock()
		h.log.passes = append(h.log.passes, p)
		h.log.mu.Unlock()
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h passHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return passHandler{next: h.next.WithAttrs(attrs), log: h.log}
}

func (h passHandler) WithGroup(name string) slog.Handler {
	return passHandler{next: h.next.WithGroup(name), log: h.log}
}

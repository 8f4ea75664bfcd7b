package controlplane

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/integrations/heartbeat"
	"github.com/meshprobe/meshprobe/integrations/memberverify"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// TestTrimSharedKeepsOnlyWhatIsRead trims objects that set every field and lists
// the non-zero field paths that survive: exactly what the heartbeat reads (and a
// pod's node and IPs). A field added here must be read by a consumer of the
// shared factory; a field a consumer starts to read must be added here.
func TestTrimSharedKeepsOnlyWhatIsRead(t *testing.T) {
	meta := []string{"metadata.name", "metadata.namespace", "metadata.uid", "metadata.resourceVersion"}
	tests := []struct {
		file, kind string
		keep       []string
		gone       []string // big fields the fixture has and the trim drops
	}{
		{"pod.yaml", "Pod", append(slices.Clone(meta),
			"metadata.deletionTimestamp", "metadata.labels.app", "metadata.labels.pod-template-hash", "metadata.labels.meshprobe.io/member",
			"metadata.ownerReferences[].apiVersion", "metadata.ownerReferences[].kind", "metadata.ownerReferences[].name",
			"metadata.ownerReferences[].uid", "metadata.ownerReferences[].controller", "metadata.ownerReferences[].blockOwnerDeletion",
			"spec.nodeName", "status.phase", "status.podIP", "status.podIPs[].ip", "status.conditions[].type", "status.conditions[].status",
			"status.initContainerStatuses[].name", "status.initContainerStatuses[].restartCount",
			"status.containerStatuses[].name", "status.containerStatuses[].restartCount", "status.containerStatuses[].state.waiting.reason",
		), []string{"metadata.managedFields[].manager", "metadata.annotations.meshprobe.io/checks", "spec.containers[].env[].value",
			"spec.volumes[].name", "status.containerStatuses[].lastState.terminated.reason", "status.containerStatuses[].volumeMounts[].name"}},
		{"workloads.yaml", "Deployment", append(slices.Clone(meta),
			"spec.replicas", "status.updatedReplicas", "status.readyReplicas", "status.availableReplicas",
			"status.conditions[].type", "status.conditions[].status", "status.conditions[].reason", "status.conditions[].message",
		), []string{"metadata.managedFields[].manager", "metadata.annotations.kubectl.kubernetes.io/last-applied-configuration",
			"spec.template.spec.containers[].env[].value", "spec.template.spec.volumes[].name"}},
		{"workloads.yaml", "StatefulSet", append(slices.Clone(meta),
			"spec.replicas", "status.updatedReplicas", "status.readyReplicas", "status.availableReplicas",
		), []string{"metadata.managedFields[].manager", "spec.template.spec.containers[].env[].value", "spec.volumeClaimTemplates[].metadata.name"}},
		{"workloads.yaml", "DaemonSet", append(slices.Clone(meta),
			"status.desiredNumberScheduled", "status.updatedNumberScheduled", "status.numberReady", "status.numberAvailable",
		), []string{"metadata.managedFields[].manager", "spec.template.spec.containers[].env[].valueFrom.fieldRef.fieldPath"}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			full := objectOfKind(t, loadObjects(t, filepath.Join("testdata", "cachetrim", tt.file)), tt.kind)
			before := fieldPaths(t, full)
			for _, p := range append(slices.Clone(tt.keep), tt.gone...) {
				require.Contains(t, before, p, "the fixture sets every field the test names")
			}
			trimmed, err := trimShared(full.DeepCopyObject())
			require.NoError(t, err)
			assert.ElementsMatch(t, tt.keep, fieldPaths(t, trimmed))
			// client-go may pass an object through the transform twice.
			again, err := trimShared(trimmed)
			require.NoError(t, err)
			assert.Equal(t, trimmed, again, "the trim is idempotent")
		})
	}
}

// TestTrimSharedKeepsVerdicts runs the heartbeat's judgement over a factory with
// the trim and one without, on every verdict case of integrations/heartbeat and
// on the full objects of testdata/cachetrim, and wants the same verdicts.
func TestTrimSharedKeepsVerdicts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "integrations", "heartbeat", "testdata", "verdicts", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	full := slices.Concat(loadObjects(t, filepath.Join("testdata", "cachetrim", "pod.yaml")),
		loadObjects(t, filepath.Join("testdata", "cachetrim", "workloads.yaml")))
	cases := map[string][]runtime.Object{"cachetrim": full}
	for _, f := range files {
		cases[filepath.Base(f)] = loadObjects(t, f)
	}
	meshes := []heartbeat.MeshView{nil, meshCounts{}, meshCounts{"shop/Deployment/web": 2, "shop/StatefulSet/db": 1}}
	for name, objs := range cases {
		t.Run(name, func(t *testing.T) {
			plain, trimmed := heartbeatCache(t, objs, nil), heartbeatCache(t, objs, trimShared)
			for _, target := range []heartbeat.Target{
				{Namespace: "shop", Kind: heartbeat.KindDeployment, Name: "web"},
				{Namespace: "shop", Kind: heartbeat.KindStatefulSet, Name: "db"},
				{Namespace: "shop", Kind: heartbeat.KindDaemonSet, Name: "agent"},
			} {
				for _, mesh := range meshes {
					want, got := plain.Verdict(target, mesh), trimmed.Verdict(target, mesh)
					assert.Equal(t, want, got, "%s with mesh %v", target, mesh)
				}
			}
		})
	}
}

// TestTrimSharedKeepsMemberChecks runs memberverify.Check, which verifies a
// gossip member's claimed pod against the shared pod cache, on full and trimmed
// pods, and wants the same verdicts: for an honest member (on either pod IP) and
// for each kind of lie.
func TestTrimSharedKeepsMemberChecks(t *testing.T) {
	pod := objectOfKind(t, loadObjects(t, filepath.Join("testdata", "cachetrim", "pod.yaml")), "Pod").(*corev1.Pod)
	finished := pod.DeepCopy()
	finished.Name, finished.Status.Phase = "web-7d4b9c-done", corev1.PodSucceeded
	honest := func(p *corev1.Pod) gossip.Member {
		return gossip.Member{Name: gossip.MemberName(p.Namespace, p.Name, string(p.UID)), Addr: p.Status.PodIP + ":7946",
			Meta: gossip.Meta{Namespace: p.Namespace, Pod: p.Name, OwnerKind: contract.OwnerDeployment, OwnerName: "web"}}
	}
	members := map[string]gossip.Member{"honest": honest(pod), "finished": honest(finished)}
	m := honest(pod)
	m.Addr = "[fd00::7]:7946"
	members["second IP"] = m
	m = honest(pod)
	m.Addr = "10.9.9.9:7946"
	members["other IP"] = m
	m = honest(pod)
	m.Meta.OwnerName = "api"
	members["other owner"] = m
	m = honest(pod)
	m.Name = gossip.MemberName(pod.Namespace, pod.Name, "00000000-0000-4000-8000-000000000000")
	members["other UID"] = m

	full, trimmed := podLister(t, pod, finished), podLister(t, trimPod(pod), trimPod(finished))
	for name, member := range members {
		want, got := memberverify.Check(member, full), memberverify.Check(member, trimmed)
		assert.Equal(t, want.Reason, got.Reason, name)
		assert.Equal(t, want.Pod != nil, got.Pod != nil, name)
	}
	assert.True(t, memberverify.Check(members["honest"], trimmed).OK())
	assert.True(t, memberverify.Check(members["second IP"], trimmed).OK())
}

// podLister is a pod lister over an indexer holding pods.
func podLister(t *testing.T, pods ...*corev1.Pod) listerv1.PodLister {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range pods {
		require.NoError(t, idx.Add(p))
	}
	return listerv1.NewPodLister(idx)
}

// TestTrimSharedPassesOthersThrough: a kind the heartbeat does not read keeps
// everything but its managedFields.
func TestTrimSharedPassesOthersThrough(t *testing.T) {
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "n", Labels: map[string]string{"app": "x"},
			Annotations:   map[string]string{"a": "b"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}},
		Data: map[string]string{"config.yaml": "tests: []"},
	}
	want := cm.DeepCopy()
	want.ManagedFields = nil
	got, err := trimShared(cm)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

// heartbeatCache is a synced heartbeat.Cache over a fake clientset holding
// objs, with transform on the factory when it is not nil.
func heartbeatCache(t *testing.T, objs []runtime.Object, transform func(any) (any, error)) *heartbeat.Cache {
	t.Helper()
	var opts []informers.SharedInformerOption
	if transform != nil {
		opts = append(opts, informers.WithTransform(transform))
	}
	copies := make([]runtime.Object, len(objs))
	for i, o := range objs {
		copies[i] = o.DeepCopyObject()
	}
	f := informers.NewSharedInformerFactoryWithOptions(fake.NewClientset(copies...), 0, opts...)
	hc, err := heartbeat.NewCache(f)
	require.NoError(t, err)
	f.Start(t.Context().Done())
	t.Cleanup(f.Shutdown)
	require.NoError(t, hc.WaitForSync(t.Context()))
	return hc
}

// meshCounts is a heartbeat.MeshView with fixed counts keyed "namespace/Kind/name".
type meshCounts map[string]int

func (m meshCounts) AliveMembers(namespace, kind, name string) int {
	return m[namespace+"/"+kind+"/"+name]
}

// loadObjects decodes a multi-document YAML file of built-in kinds.
func loadObjects(t *testing.T, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var objs []runtime.Object
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
		require.NoError(t, err, path)
		objs = append(objs, obj)
	}
	return objs
}

func objectOfKind(t *testing.T, objs []runtime.Object, kind string) runtime.Object {
	t.Helper()
	for _, o := range objs {
		if o.GetObjectKind().GroupVersionKind().Kind == kind {
			return o
		}
	}
	t.Fatalf("no %s in the fixture", kind)
	return nil
}

// fieldPaths lists the paths of obj's non-zero leaves in its JSON form, with
// "[]" for any list element ("status.conditions[].type").
func fieldPaths(t *testing.T, obj any) []string {
	t.Helper()
	data, err := json.Marshal(obj)
	require.NoError(t, err)
	var tree any
	require.NoError(t, json.Unmarshal(data, &tree))
	seen := map[string]bool{}
	walkLeaves(tree, "", seen)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func walkLeaves(v any, path string, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			if path == "" && (k == "kind" || k == "apiVersion") {
				continue // the type, not content
			}
			walkLeaves(child, joinPath(path, k), seen)
		}
	case []any:
		for _, child := range v {
			walkLeaves(child, path+"[]", seen)
		}
	default:
		if v != nil && v != false && v != "" && v != float64(0) {
			seen[path] = true
		}
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return fmt.Sprintf("%s.%s", path, key)
}

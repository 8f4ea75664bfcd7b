package heartbeat

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	appslisters "k8s.io/client-go/listers/apps/v1"
	"k8s.io/client-go/tools/cache"
	"sigs.k8s.io/yaml"
)

// newStaticCache builds a Cache over plain indexers holding objs, for tests of
// the judgement and the handler that need no API server.
func newStaticCache(t testing.TB, objs ...runtime.Object) *Cache {
	t.Helper()
	nsIndex := cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc}
	deploys, sets, daemons := cache.NewIndexer(cache.MetaNamespaceKeyFunc, nsIndex),
		cache.NewIndexer(cache.MetaNamespaceKeyFunc, nsIndex), cache.NewIndexer(cache.MetaNamespaceKeyFunc, nsIndex)
	pods := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{ownerIndex: podOwnerKeys})
	for _, o := range objs {
		var err error
		switch o.(type) {
		case *appsv1.Deployment:
			err = deploys.Add(o)
		case *appsv1.StatefulSet:
			err = sets.Add(o)
		case *appsv1.DaemonSet:
			err = daemons.Add(o)
		case *corev1.Pod:
			err = pods.Add(o)
		default:
			t.Fatalf("unexpected object %T", o)
		}
		require.NoError(t, err)
	}
	return &Cache{
		deployments:  appslisters.NewDeploymentLister(deploys),
		statefulSets: appslisters.NewStatefulSetLister(sets),
		daemonSets:   appslisters.NewDaemonSetLister(daemons),
		pods:         pods,
		synced:       []cache.InformerSynced{func() bool { return true }},
	}
}

// loadObjects reads a multi-document YAML file of Deployments, StatefulSets,
// DaemonSets and Pods.
func loadObjects(t testing.TB, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var objs []runtime.Object
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var tm metav1.TypeMeta
		require.NoError(t, yaml.Unmarshal(doc, &tm), path)
		var o runtime.Object
		switch tm.Kind {
		case "Deployment":
			o = &appsv1.Deployment{}
		case "StatefulSet":
			o = &appsv1.StatefulSet{}
		case "DaemonSet":
			o = &appsv1.DaemonSet{}
		case "Pod":
			o = &corev1.Pod{}
		default:
			t.Fatalf("%s: unexpected kind %q", path, tm.Kind)
		}
		require.NoError(t, yaml.UnmarshalStrict(doc, o), path)
		objs = append(objs, o)
	}
	return objs
}

// staticMesh is a MeshView with fixed counts keyed "namespace/Kind/name".
type staticMesh map[string]int

func (m staticMesh) AliveMembers(namespace, ownerKind, ownerName string) int {
	return m[namespace+"/"+ownerKind+"/"+ownerName]
}

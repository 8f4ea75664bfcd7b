package memberverify

import (
	"testing"

	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	listerv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/gossip"
)

// The pods of the tests: shop/web-1 of Deployment web, and shop/db-0 of
// StatefulSet db.
const (
	webUID = "0a1b2c3d-0000-4000-8000-000000000001"
	webIP  = "10.0.0.11"
	dbUID  = "9f8e7d6c-0000-4000-8000-000000000002"
	dbIP   = "10.0.0.12"
)

func webPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web-1", UID: webUID,
			Labels: map[string]string{"pod-template-hash": "7d9c6b5f4"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-7d9c6b5f4",
				UID: "4b7c1d2e-0000-4000-8000-000000000001", Controller: ptr.To(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: webIP, PodIPs: []corev1.PodIP{{IP: webIP}, {IP: "fd00::11"}}},
	}
}

func dbPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db-0", UID: dbUID,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "db",
				UID: "4b7c1d2e-0000-4000-8000-000000000002", Controller: ptr.To(true)}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: dbIP, PodIPs: []corev1.PodIP{{IP: dbIP}}},
	}
}

// lister is a real pod lister over an indexer holding pods.
func lister(t testing.TB, pods ...*corev1.Pod) listerv1.PodLister {
	t.Helper()
	idx := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	for _, p := range pods {
		require.NoError(t, idx.Add(p))
	}
	return listerv1.NewPodLister(idx)
}

// honest is the member the sidecar of pod p announces.
func honest(p *corev1.Pod, ownerKind, ownerName string) gossip.Member {
	return gossip.Member{
		Name: gossip.MemberName(p.Namespace, p.Name, string(p.UID)), Addr: p.Status.PodIP + ":7946", State: gossip.StateAlive,
		Meta: gossip.Meta{Namespace: p.Namespace, Pod: p.Name, OwnerKind: ownerKind, OwnerName: ownerName, Role: gossip.RoleSidecar},
	}
}

// mesh is a fixed member list standing in for the leader's gossip member in
// unit tests; the controlplane's impostor test runs real members.
type mesh struct {
	members []gossip.Member
}

func (m *mesh) Members() []gossip.Member { return m.members }
func (m *mesh) Status() gossip.Status    { return gossip.Status{State: gossip.StatusRunning} }

func self() gossip.Member {
	return gossip.Member{Name: "meshprobe-system/cp-a/abcdef01", Addr: "10.0.0.2:7946", State: gossip.StateAlive, Self: true,
		Meta: gossip.Meta{Namespace: "meshprobe-system", Pod: "cp-a", Role: gossip.RoleControlPlane}}
}

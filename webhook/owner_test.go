package webhook

import (
	"testing"

	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestOwnerOf(t *testing.T) {
	ref := func(apiVersion, kind, name string, controller bool) metav1.OwnerReference {
		return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, Controller: ptr.To(controller)}
	}
	hash := map[string]string{"pod-template-hash": "7d9c6b5f4"}
	tests := []struct {
		name   string
		labels map[string]string
		refs   []metav1.OwnerReference
		want   Owner
	}{
		{name: "deployment via replicaset", labels: hash, refs: []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "shop-7d9c6b5f4", true)}, want: Owner{"Deployment", "shop"}},
		{name: "deployment with dashes", labels: hash, refs: []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "my-shop-api-7d9c6b5f4", true)}, want: Owner{"Deployment", "my-shop-api"}},
		{name: "bare replicaset has no hash label", refs: []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "shop-7d9c6b5f4", true)}, want: Owner{}},
		{name: "replicaset name without the hash", labels: hash, refs: []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "shop", true)}, want: Owner{}},
		{name: "replicaset name is only the hash", labels: hash, refs: []metav1.OwnerReference{ref("apps/v1", "ReplicaSet", "-7d9c6b5f4", true)}, want: Owner{}},
		{name: "statefulset", refs: []metav1.OwnerReference{ref("apps/v1", "StatefulSet", "db", true)}, want: Owner{"StatefulSet", "db"}},
		{name: "daemonset", refs: []metav1.OwnerReference{ref("apps/v1", "DaemonSet", "agent", true)}, want: Owner{"DaemonSet", "agent"}},
		{name: "job", refs: []metav1.OwnerReference{ref("batch/v1", "Job", "report", true)}, want: Owner{}},
		{name: "non-apps group with an apps kind", refs: []metav1.OwnerReference{ref("example.com/v1", "StatefulSet", "x", true)}, want: Owner{}},
		{name: "bad apiVersion", refs: []metav1.OwnerReference{ref("a/b/c", "StatefulSet", "x", true)}, want: Owner{}},
		{name: "non-controller reference ignored", refs: []metav1.OwnerReference{ref("apps/v1", "StatefulSet", "db", false)}, want: Owner{}},
		{name: "controller among several", refs: []metav1.OwnerReference{ref("v1", "ConfigMap", "cm", false), ref("apps/v1", "DaemonSet", "agent", true)}, want: Owner{"DaemonSet", "agent"}},
		{name: "no owner", want: Owner{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: tt.labels, OwnerReferences: tt.refs}}
			assert.Equal(t, tt.want, OwnerOf(pod))
		})
	}
}

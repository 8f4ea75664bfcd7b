package webhook

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Owner is the workload a pod belongs to, as the sidecar reports it in its gossip
// metadata (MESHPROBE_OWNER_KIND and MESHPROBE_OWNER_NAME).
type Owner struct {
	// Kind is contract.OwnerDeployment, OwnerStatefulSet, OwnerDaemonSet or OwnerNone.
	Kind string
	// Name is the workload's name; empty when Kind is OwnerNone.
	Name string
}

// OwnerOf derives the owning workload from the pod's controller ownerReference.
// A ReplicaSet named "<deployment>-<pod-template-hash>" stands for its Deployment;
// a ReplicaSet without that shape, Jobs and anything else have no owner.
func OwnerOf(pod *corev1.Pod) Owner {
	ref := metav1.GetControllerOf(pod)
	if ref == nil {
		return Owner{}
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != appsv1.GroupName {
		return Owner{}
	}
	switch ref.Kind {
	case "ReplicaSet":
		hash := pod.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
		name, ok := strings.CutSuffix(ref.Name, "-"+hash)
		if hash == "" || !ok || name == "" {
			return Owner{}
		}
		return Owner{Kind: contract.OwnerDeployment, Name: name}
	case "StatefulSet":
		return Owner{Kind: contract.OwnerStatefulSet, Name: ref.Name}
	case "DaemonSet":
		return Owner{Kind: contract.OwnerDaemonSet, Name: ref.Name}
	}
	return Owner{}
}

package gossipkeys

import (
	"bytes"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// wantCopies returns the namespaces that get a copy of the key: those a cluster
// admin opted in (meshOptIn), except excluded and terminating namespaces. A
// pod's labels never decide it: any pod author can set them.
func (c *Config) wantCopies(namespaces []*corev1.Namespace) map[string]bool {
	want := map[string]bool{}
	for _, ns := range namespaces {
		if ns.DeletionTimestamp == nil && !c.excluded(ns.Name) && meshOptIn(ns.Labels) {
			want[ns.Name] = true
		}
	}
	return want
}

// meshOptIn reports whether a namespace's labels, which the default admin and
// edit roles cannot change, put its injected pods in the mesh:
// meshprobe.io/mesh=enabled (pods opt in one by one), or injection enabled for
// the whole namespace without meshprobe.io/mesh=disabled.
func meshOptIn(labels map[string]string) bool {
	switch labels[contract.LabelMesh] {
	case contract.NamespaceMeshEnabled:
		return true
	case contract.NamespaceMeshDisabled:
		return false
	}
	return labels[contract.LabelInject] == contract.NamespaceInjectEnabled
}

// copyFor returns the copy of the source Secret for namespace ns. owner, when
// set, is the control plane's Namespace, so uninstalling meshprobe (deleting its
// namespace) lets the garbage collector delete every copy.
func copyFor(src *corev1.Secret, keys gossip.Keys, ns string, owner *metav1.OwnerReference) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: contract.GossipKeySecretName, Namespace: ns,
			Labels: map[string]string{contract.LabelManagedBy: contract.ManagedBy, contract.LabelGossipKeyCopy: copyLabelValue},
			Annotations: map[string]string{
				AnnotationSource:  src.Namespace + "/" + src.Name,
				AnnotationPrimary: gossip.Fingerprint(keys.Primary()),
			},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{contract.GossipKeySecretKey: bytes.Clone(src.Data[contract.GossipKeySecretKey])},
	}
	if owner != nil {
		s.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return s
}

// isCopy reports whether s is a copy that meshprobe made (and may change or delete).
func isCopy(s *corev1.Secret) bool {
	return s.Labels[contract.LabelGossipKeyCopy] == copyLabelValue
}

// updated returns cur changed to match want, or nil when it already does.
// Labels and annotations other than meshprobe's are kept; the type (immutable)
// is left as it is.
func updated(cur, want *corev1.Secret) *corev1.Secret {
	same := bytes.Equal(cur.Data[contract.GossipKeySecretKey], want.Data[contract.GossipKeySecretKey]) &&
		len(cur.Data) == 1 &&
		subset(want.Labels, cur.Labels) && subset(want.Annotations, cur.Annotations) &&
		equality.Semantic.DeepEqual(cur.OwnerReferences, want.OwnerReferences)
	if same {
		return nil
	}
	out := cur.DeepCopy()
	out.Data, out.OwnerReferences = want.Data, want.OwnerReferences
	out.Labels = merged(out.Labels, want.Labels)
	out.Annotations = merged(out.Annotations, want.Annotations)
	return out
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func merged(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

package clusterchecks

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// maxSourcesAnnotation bounds AnnotationSources; the sources that do not fit
// are counted instead.
const maxSourcesAnnotation = 4 << 10

// write makes ConfigMapName hold agg, and returns "create" or "update" when
// it wrote, "" when the ConfigMap was up to date. Only when the cache says it
// differs is it read live, so a cache that has not seen the last write yet
// costs a GET, not a write; it is written only when the live object differs too.
func (rt *runtime) write(ctx context.Context, agg *Aggregate) (string, error) {
	sources := sourcesAnnotation(agg.Outcomes)
	if cur, err := rt.target.Get(ConfigMapName); err == nil && upToDate(cur, agg.Data, sources) {
		return "", nil
	}
	api := rt.c.kube.CoreV1().ConfigMaps(rt.c.cfg.Namespace)
	live, err := api.Get(ctx, ConfigMapName, metav1.GetOptions{})
	op := "update"
	switch {
	case apierrors.IsNotFound(err):
		op = "create"
		cm := desired(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: rt.c.cfg.Namespace, Name: ConfigMapName}}, agg.Data, sources)
		_, err = api.Create(ctx, cm, metav1.CreateOptions{FieldManager: eventComponent})
	case err != nil:
		return "", fmt.Errorf("clusterchecks: reading ConfigMap %s: %w", ConfigMapName, err)
	case upToDate(live, agg.Data, sources):
		return "", nil
	case live.Immutable != nil && *live.Immutable:
		return "", fmt.Errorf("clusterchecks: ConfigMap %s was made immutable, so it cannot be updated: delete it, and the leader creates it again", ConfigMapName)
	default:
		_, err = api.Update(ctx, desired(live.DeepCopy(), agg.Data, sources), metav1.UpdateOptions{FieldManager: eventComponent})
	}
	if err != nil {
		return "", fmt.Errorf("clusterchecks: %s of ConfigMap %s: %w", op, ConfigMapName, err)
	}
	rt.log.Info("clusterchecks: wrote ConfigMap "+ConfigMapName, "op", op, "checks", len(agg.Checks), "bytes", len(agg.Data), "sources", sources)
	return op, nil
}

// upToDate reports whether cm holds data and sources, and nothing else, as
// desired writes them.
func upToDate(cm *corev1.ConfigMap, data, sources string) bool {
	got, ok := cm.Data[Key]
	return ok && got == data && len(cm.Data) == 1 && len(cm.BinaryData) == 0 &&
		(cm.Immutable == nil || !*cm.Immutable) &&
		cm.Labels[contract.LabelManagedBy] == contract.ManagedBy && cm.Annotations[AnnotationSources] == sources
}

// desired is cm with data as its only key, meshprobe's managed-by label and the
// sources annotation; other labels and annotations are kept.
func desired(cm *corev1.ConfigMap, data, sources string) *corev1.ConfigMap {
	cm.Data, cm.BinaryData = map[string]string{Key: data}, nil
	if cm.Labels == nil {
		cm.Labels = map[string]string{}
	}
	cm.Labels[contract.LabelManagedBy] = contract.ManagedBy
	if cm.Annotations == nil {
		cm.Annotations = map[string]string{}
	}
	cm.Annotations[AnnotationSources] = sources
	return cm
}

// sourcesAnnotation lists the delivered sources, <configmap>/<key>, separated
// by commas; when that would be longer than maxSourcesAnnotation, the first
// ones and " and N more".
func sourcesAnnotation(outcomes []Outcome) string {
	var valid []string
	for _, o := range outcomes {
		if o.State == StateValid {
			valid = append(valid, o.String())
		}
	}
	var b strings.Builder
	for i, s := range valid {
		if more := fmt.Sprintf(" and %d more", len(valid)-i); b.Len()+1+len(s)+len(more) > maxSourcesAnnotation {
			return b.String() + more
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	return b.String()
}

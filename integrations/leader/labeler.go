package leader

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// labelTaskName is the name of the built-in task that keeps the role label.
const labelTaskName = "pod-role-label"

// perPodLabels differ between replicas of one workload, so a derived selector
// leaves them out.
var perPodLabels = map[string]bool{
	"pod-template-hash":                  true,
	"controller-revision-hash":           true,
	"statefulset.kubernetes.io/pod-name": true,
	"apps.kubernetes.io/pod-index":       true,
	contract.LabelRole:                   true,
}

var (
	addRolePatch    = []byte(`{"metadata":{"labels":{"` + contract.LabelRole + `":"` + contract.RoleLeader + `"}}}`)
	removeRolePatch = []byte(`{"metadata":{"labels":{"` + contract.LabelRole + `":null}}}`)
)

// labeler keeps meshprobe.io/role=leader on the leader's pod and on no other
// control-plane pod.
type labeler struct {
	client    kubernetes.Interface
	namespace string
	pod       string
	selector  labels.Selector // nil: derived from the pod's labels
	interval  time.Duration
	log       *slog.Logger
}

// run labels at once, re-checks every interval (sooner after a failure), and
// removes the label from its own pod when the term ends.
func (l *labeler) run(ctx context.Context) error {
	defer l.unlabelSelf(context.WithoutCancel(ctx))
	retry := time.Second
	for {
		next := l.interval
		if err := l.reconcile(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("leader: labelling pods failed; retrying", "err", err, "after", retry)
			next, retry = retry, min(2*retry, l.interval)
		} else {
			retry = time.Second
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(next):
		}
	}
}

// reconcile labels this pod and unlabels every other selected pod.
func (l *labeler) reconcile(ctx context.Context) error {
	pods := l.client.CoreV1().Pods(l.namespace)
	self, err := pods.Get(ctx, l.pod, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("leader: reading own pod %s/%s: %w", l.namespace, l.pod, err)
	}
	if self.Labels[contract.LabelRole] != contract.RoleLeader {
		if _, err := pods.Patch(ctx, l.pod, types.MergePatchType, addRolePatch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("leader: labelling own pod %s/%s: %w", l.namespace, l.pod, err)
		}
		l.log.Info("leader: labelled own pod", "pod", l.pod, "label", contract.LabelRole+"="+contract.RoleLeader)
	}
	sel, err := l.leaderSelector(self)
	if err != nil {
		return err
	}
	others, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return fmt.Errorf("leader: listing labelled pods: %w", err)
	}
	for i := range others.Items {
		if err := l.unlabel(ctx, &others.Items[i]); err != nil {
			return err
		}
	}
	return nil
}

// leaderSelector selects control-plane pods that carry the leader role label.
func (l *labeler) leaderSelector(self *corev1.Pod) (labels.Selector, error) {
	sel := l.selector
	if sel == nil {
		set := labels.Set{}
		for k, v := range self.Labels {
			if !perPodLabels[k] {
				set[k] = v
			}
		}
		sel = labels.SelectorFromSet(set)
	}
	req, err := labels.NewRequirement(contract.LabelRole, selection.Equals, []string{contract.RoleLeader})
	if err != nil {
		return nil, fmt.Errorf("leader: building the pod selector: %w", err)
	}
	return sel.Add(*req), nil
}

func (l *labeler) unlabel(ctx context.Context, p *corev1.Pod) error {
	if p.Name == l.pod {
		return nil
	}
	_, err := l.client.CoreV1().Pods(l.namespace).Patch(ctx, p.Name, types.MergePatchType, removeRolePatch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("leader: removing the role label from pod %s/%s: %w", l.namespace, p.Name, err)
	}
	l.log.Info("leader: removed the role label from another replica", "pod", p.Name)
	return nil
}

// unlabelSelf removes the role label from this pod, best effort, so that the
// Service stops routing here; the next leader would remove it anyway.
func (l *labeler) unlabelSelf(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := l.client.CoreV1().Pods(l.namespace).Patch(ctx, l.pod, types.MergePatchType, removeRolePatch, metav1.PatchOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		l.log.Warn("leader: could not remove the role label from own pod", "pod", l.pod, "err", err)
		return
	}
	l.log.Info("leader: removed the role label from own pod", "pod", l.pod)
}

package localcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

// InstallMeshprobe applies the kustomize directory dir (meshprobe's manifests) with a
// local CA in place of cert-manager, and waits until every Deployment in meshprobe's
// namespace is available. It reports false when dir has no kustomization.yaml.
func (c *Cluster) InstallMeshprobe(ctx context.Context, dir string) (bool, error) {
	if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err != nil {
		return false, nil
	}
	objs, err := install.Render(ctx, dir)
	if err != nil {
		return false, err
	}
	ca, err := controlplane.NewCA("meshprobe-local-webhook-ca", 90*24*time.Hour)
	if err != nil {
		return false, err
	}
	c.cfg.Logger.Info("installing meshprobe", "manifests", dir, "objects", len(objs))
	if err := install.Apply(ctx, c.Config, objs, install.Options{CA: ca, Logger: c.cfg.Logger}); err != nil {
		return false, err
	}
	return true, c.WaitDeployments(ctx, contract.DefaultNamespace, 3*time.Minute)
}

// WaitDeployments waits until every Deployment in namespace is fully available.
func (c *Cluster) WaitDeployments(ctx context.Context, namespace string, timeout time.Duration) error {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var pending string
	for {
		list, err := c.Client.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{})
		if err == nil {
			pending = ""
			for _, d := range list.Items {
				if !deploymentAvailable(&d) {
					pending = d.Name
					break
				}
			}
			if pending == "" {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			if parent.Err() != nil {
				return fmt.Errorf("localcluster: interrupted while waiting for deployment %s/%s", namespace, pending)
			}
			return fmt.Errorf("localcluster: deployment %s/%s not available after %s%s (see kubectl describe pod and the pod logs)", namespace, pending, timeout, c.podProblems(parent, namespace))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func deploymentAvailable(d *appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}

// podProblems names, for the error of a wait, the containers of namespace that are
// waiting (ErrImageNeverPull, CrashLoopBackOff, ...) or not ready.
func (c *Cluster) podProblems(ctx context.Context, namespace string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pods, err := c.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return ""
	}
	var out []string
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" {
			out = append(out, p.Name+": not scheduled")
		}
		for _, s := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
			switch {
			case s.State.Waiting != nil:
				out = append(out, fmt.Sprintf("%s/%s: %s %s", p.Name, s.Name, s.State.Waiting.Reason, s.State.Waiting.Message))
			case !s.Ready && s.State.Terminated == nil:
				out = append(out, fmt.Sprintf("%s/%s: not ready", p.Name, s.Name))
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; " + strings.Join(out, "; ")
}

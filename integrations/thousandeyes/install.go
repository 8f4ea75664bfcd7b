package thousandeyes

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// installID returns the identity written into each test's marker: InstallID,
// else "<cluster>/<home namespace>", where the cluster is ClusterName or the
// UID of the kube-system namespace (stable for the life of the cluster, and
// different in every cluster).
func (c *Controller) installID(ctx context.Context) (string, error) {
	if c.cfg.InstallID != "" {
		return c.cfg.InstallID, nil
	}
	cluster := c.cfg.ClusterName
	if cluster == "" {
		ns, err := c.kube.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
		if err != nil {
			return "", fmt.Errorf("thousandeyes: reading the kube-system namespace for the install identity (or set --thousandeyes-cluster-name): %w", err)
		}
		cluster = string(ns.UID)
	}
	return cluster + "/" + c.cfg.HomeNamespace, nil
}

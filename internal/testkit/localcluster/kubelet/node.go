package kubelet

import (
	"context"
	"fmt"
	"runtime"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

const (
	leaseDuration   = 40 * time.Second
	leaseRenew      = 10 * time.Second
	statusHeartbeat = 30 * time.Second
	// LabelLocalNode marks Nodes registered by meshprobe-localcluster.
	LabelLocalNode = "meshprobe.io/localcluster-node"
)

// register creates (or adopts) the Node, reports it Ready, and waits for the
// controller-manager to give it a podCIDR.
func (k *Kubelet) register(ctx context.Context) (*corev1.Node, error) {
	nodes := k.client.CoreV1().Nodes()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName, Labels: map[string]string{
		"kubernetes.io/hostname": k.cfg.NodeName, "kubernetes.io/os": "linux",
		"kubernetes.io/arch": runtime.GOARCH, LabelLocalNode: "true",
	}}}
	if _, err := nodes.Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("registering node: %w", err)
	}
	if err := k.updateNodeStatus(ctx); err != nil {
		return nil, err
	}
	var got *corev1.Node
	err := pollUntil(ctx, 60*time.Second, func() (bool, error) {
		n, err := nodes.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		got = n
		return n.Spec.PodCIDR != "", nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the controller-manager to assign a podCIDR: %w", err)
	}
	return got, nil
}

func (k *Kubelet) updateNodeStatus(ctx context.Context) error {
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error { return k.tryUpdateNodeStatus(ctx) })
}

func (k *Kubelet) tryUpdateNodeStatus(ctx context.Context) error {
	n, err := k.client.CoreV1().Nodes().Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading node: %w", err)
	}
	now := metav1.Now()
	res := corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("16"), corev1.ResourceMemory: resource.MustParse("32Gi"),
		corev1.ResourcePods: resource.MustParse("110"), corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	n.Status.Capacity, n.Status.Allocatable = res, res
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: k.NodeIP()}}
	n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(k.logServer.port)
	n.Status.NodeInfo = corev1.NodeSystemInfo{
		KubeletVersion: "v1.37.2-meshprobe-localcluster", OperatingSystem: "linux", Architecture: runtime.GOARCH,
		ContainerRuntimeVersion: "localprocess://1", KernelVersion: "local", OSImage: "meshprobe-localcluster",
	}
	transition := now
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			transition = c.LastTransitionTime
		}
	}
	n.Status.Conditions = []corev1.NodeCondition{
		{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "meshprobe-localcluster node agent is posting ready status", LastHeartbeatTime: now, LastTransitionTime: transition},
		{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory", LastHeartbeatTime: now, LastTransitionTime: transition},
		{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure", LastHeartbeatTime: now, LastTransitionTime: transition},
		{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID", LastHeartbeatTime: now, LastTransitionTime: transition},
	}
	if _, err := k.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		if apierrors.IsConflict(err) {
			return err
		}
		return fmt.Errorf("updating node status: %w", err)
	}
	return nil
}

// heartbeat renews the node Lease every 10 s and the Ready condition every 30 s,
// so the node lifecycle controller keeps the Node Ready and untainted.
func (k *Kubelet) heartbeat(ctx context.Context) {
	lastStatus := time.Now()
	for {
		if err := k.renewLease(ctx); err != nil && ctx.Err() == nil {
			k.log.Warn("renewing node lease", "err", err)
		}
		if time.Since(lastStatus) >= statusHeartbeat {
			if err := k.updateNodeStatus(ctx); err != nil && ctx.Err() == nil {
				k.log.Warn("node status heartbeat", "err", err)
			}
			lastStatus = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(leaseRenew):
		}
	}
}

func (k *Kubelet) renewLease(ctx context.Context) error {
	leases := k.client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, k.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: k.cfg.NodeName},
			Spec: coordinationv1.LeaseSpec{
				HolderIdentity: ptr.To(k.cfg.NodeName), LeaseDurationSeconds: ptr.To(int32(leaseDuration.Seconds())), RenewTime: &now,
			},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	l.Spec.RenewTime = &now
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

func pollUntil(ctx context.Context, timeout time.Duration, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("%w (last error: %v)", ctx.Err(), last)
			}
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

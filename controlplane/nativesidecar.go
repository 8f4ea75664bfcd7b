package controlplane

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
)

// nativeSidecarMinVersion is the first Kubernetes release with native sidecars
// (SidecarContainers) on by default.
var nativeSidecarMinVersion = utilversion.MajorMinor(1, 29)

// resolveNativeSidecar turns --native-sidecar into a decision; "auto" asks the
// API server for its version, then the Nodes for their kubelets' versions
// (nodeKubeletsSupport). It returns the decision and the versions seen.
func resolveNativeSidecar(mode, kubeconfig string) (bool, string, error) {
	switch mode {
	case "true":
		return true, "", nil
	case "false":
		return false, "", nil
	case "auto":
	default:
		return false, "", fmt.Errorf("--native-sidecar %q: want auto, true or false", mode)
	}
	cfg, err := restConfig(kubeconfig)
	if err != nil {
		return false, "", err
	}
	cfg.Timeout = 15 * time.Second
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, "", fmt.Errorf("detecting native sidecar support: %w", err)
	}
	info, err := dc.ServerVersion()
	if err != nil {
		return false, "", fmt.Errorf("detecting native sidecar support: asking the API server for its version: %w", err)
	}
	ok, err := supportsNativeSidecar(info)
	if err != nil || !ok {
		return ok, info.GitVersion, err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return false, info.GitVersion, fmt.Errorf("detecting native sidecar support: %w", err)
	}
	ok, oldest := nodeKubeletsSupport(context.Background(), client)
	return ok, info.GitVersion + oldest, nil
}

// nodeKubeletsSupport reports whether every Node's kubelet runs native sidecars.
// Version skew lets a kubelet be up to three minor releases older than the API
// server: a 1.28 kubelet under a 1.29 API server would run the sidecar as a
// plain init container that never exits, and the pod would stay in Init. So
// native sidecars need the API server and every kubelet at 1.29+. A Node that
// cannot be listed (no RBAC, API trouble) counts as current, as before this
// check; the second value names the oldest kubelet seen (", oldest kubelet
// v1.28.3 on node-a").
func nodeKubeletsSupport(ctx context.Context, client kubernetes.Interface) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return true, ", kubelets unknown: " + err.Error()
	}
	ok, oldest := true, ""
	for _, n := range nodes.Items {
		v := n.Status.NodeInfo.KubeletVersion
		supported, err := supportsNativeSidecar(&version.Info{GitVersion: v})
		if err == nil && !supported {
			ok, oldest = false, fmt.Sprintf(", kubelet %s on %s", v, n.Name)
		}
	}
	return ok, oldest
}

// supportsNativeSidecar reports whether a server of this version runs native
// sidecars. An unstamped build from source ("v0.0.0-master+$Format:%H$") is taken
// to be current.
func supportsNativeSidecar(info *version.Info) (bool, error) {
	if v, err := utilversion.ParseGeneric(info.GitVersion); err == nil {
		if v.Major() == 0 && v.Minor() == 0 {
			return true, nil
		}
		return v.AtLeast(nativeSidecarMinVersion), nil
	}
	// Some distributions report only Major/Minor, with a "+" suffix ("29+").
	major, errMajor := strconv.Atoi(strings.TrimSuffix(info.Major, "+"))
	minor, errMinor := strconv.Atoi(strings.TrimSuffix(info.Minor, "+"))
	if errMajor != nil || errMinor != nil || major < 0 || minor < 0 {
		return false, fmt.Errorf("detecting native sidecar support: cannot parse server version %q (major %q, minor %q)", info.GitVersion, info.Major, info.Minor)
	}
	return utilversion.MajorMinor(uint(major), uint(minor)).AtLeast(nativeSidecarMinVersion), nil
}

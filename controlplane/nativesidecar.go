package controlplane

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	utilversion "k8s.io/apimachinery/pkg/util/version"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
)

// nativeSidecarMinVersion is the first Kubernetes release with native sidecars
// (SidecarContainers) on by default.
var nativeSidecarMinVersion = utilversion.MajorMinor(1, 29)

// resolveNativeSidecar turns --native-sidecar into a decision; "auto" asks the
// API server for its version. It returns the decision and the server version seen.
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
	return ok, info.GitVersion, err
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

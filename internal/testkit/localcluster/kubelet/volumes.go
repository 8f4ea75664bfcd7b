package kubelet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

const defaultFileMode = 0o644

// syncVolumes writes every volume of the pod under its directory and records where
// each one lives on the host. Volumes are rewritten only when their content changed.
func (k *Kubelet) syncVolumes(ctx context.Context, ps *podState, pod *corev1.Pod) error {
	for _, v := range pod.Spec.Volumes {
		dir := filepath.Join(ps.dir, "volumes", v.Name)
		switch {
		case v.EmptyDir != nil:
			if err := os.MkdirAll(dir, 0o777); err != nil {
				return err
			}
			_ = os.Chmod(dir, 0o777)
		case v.HostPath != nil:
			dir = v.HostPath.Path
			if t := v.HostPath.Type; t != nil && *t == corev1.HostPathDirectoryOrCreate {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
			}
		default:
			payload, err := k.volumePayload(ctx, pod, v)
			if err != nil {
				return fmt.Errorf("volume %q: %w", v.Name, err)
			}
			if _, err := writeAtomic(dir, payload); err != nil {
				return fmt.Errorf("volume %q: writing: %w", v.Name, err)
			}
		}
		ps.volumes[v.Name] = dir
	}
	return nil
}

func (k *Kubelet) volumePayload(ctx context.Context, pod *corev1.Pod, v corev1.Volume) (map[string]file, error) {
	out := map[string]file{}
	switch {
	case v.DownwardAPI != nil:
		return out, downwardFiles(out, pod, v.DownwardAPI.Items, modeOr(v.DownwardAPI.DefaultMode))
	case v.Secret != nil:
		return out, k.secretFiles(out, pod.Namespace, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, modeOr(v.Secret.DefaultMode))
	case v.ConfigMap != nil:
		return out, k.configMapFiles(out, pod.Namespace, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional, modeOr(v.ConfigMap.DefaultMode))
	case v.Projected != nil:
		return out, k.projectedFiles(ctx, out, pod, v.Projected)
	default:
		return nil, fmt.Errorf("volume type not supported by the local node agent")
	}
}

func (k *Kubelet) projectedFiles(ctx context.Context, out map[string]file, pod *corev1.Pod, p *corev1.ProjectedVolumeSource) error {
	mode := modeOr(p.DefaultMode)
	for _, src := range p.Sources {
		var err error
		switch {
		case src.Secret != nil:
			err = k.secretFiles(out, pod.Namespace, src.Secret.Name, src.Secret.Items, src.Secret.Optional, mode)
		case src.ConfigMap != nil:
			err = k.configMapFiles(out, pod.Namespace, src.ConfigMap.Name, src.ConfigMap.Items, src.ConfigMap.Optional, mode)
		case src.DownwardAPI != nil:
			err = downwardFiles(out, pod, src.DownwardAPI.Items, mode)
		case src.ServiceAccountToken != nil:
			var tok string
			tok, err = k.tokens.get(ctx, k.client, pod, src.ServiceAccountToken)
			out[src.ServiceAccountToken.Path] = file{data: []byte(tok), mode: mode}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func downwardFiles(out map[string]file, pod *corev1.Pod, items []corev1.DownwardAPIVolumeFile, mode os.FileMode) error {
	for _, it := range items {
		if it.FieldRef == nil {
			return fmt.Errorf("downward API item %q: only fieldRef is supported locally", it.Path)
		}
		val, err := fieldValue(pod, it.FieldRef.FieldPath)
		if err != nil {
			return fmt.Errorf("downward API item %q: %w", it.Path, err)
		}
		out[it.Path] = file{data: []byte(val), mode: itemMode(it.Mode, mode)}
	}
	return nil
}

func (k *Kubelet) secretFiles(out map[string]file, ns, name string, items []corev1.KeyToPath, optional *bool, mode os.FileMode) error {
	s, err := k.secrets.Secrets(ns).Get(name)
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secret %s/%s: %w", ns, name, err)
	}
	return keyFiles(out, "secret "+name, s.Data, items, optional, mode)
}

func (k *Kubelet) configMapFiles(out map[string]file, ns, name string, items []corev1.KeyToPath, optional *bool, mode os.FileMode) error {
	cm, err := k.configMaps.ConfigMaps(ns).Get(name)
	if apierrors.IsNotFound(err) && ptr.Deref(optional, false) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("configmap %s/%s: %w", ns, name, err)
	}
	data := map[string][]byte{}
	for key, v := range cm.Data {
		data[key] = []byte(v)
	}
	for key, v := range cm.BinaryData {
		data[key] = v
	}
	return keyFiles(out, "configmap "+name, data, items, optional, mode)
}

func keyFiles(out map[string]file, what string, data map[string][]byte, items []corev1.KeyToPath, optional *bool, mode os.FileMode) error {
	if len(items) == 0 {
		for key, v := range data {
			out[key] = file{data: v, mode: mode}
		}
		return nil
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if ptr.Deref(optional, false) {
				continue
			}
			return fmt.Errorf("%s has no key %q", what, it.Key)
		}
		out[it.Path] = file{data: v, mode: itemMode(it.Mode, mode)}
	}
	return nil
}

func modeOr(m *int32) os.FileMode {
	if m == nil {
		return defaultFileMode
	}
	return os.FileMode(*m) & os.ModePerm
}

func itemMode(m *int32, def os.FileMode) os.FileMode {
	if m == nil {
		return def
	}
	return os.FileMode(*m) & os.ModePerm
}

// requestToken asks the apiserver for a token bound to the pod, as the kubelet does.
func requestToken(ctx context.Context, c tokenClient, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection) (*authnv1.TokenRequest, error) {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authnv1.TokenRequest{Spec: authnv1.TokenRequestSpec{
		ExpirationSeconds: p.ExpirationSeconds,
		BoundObjectRef:    &authnv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if p.Audience != "" {
		req.Spec.Audiences = []string{p.Audience}
	}
	tr, err := c.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for service account %s/%s: %w", pod.Namespace, sa, err)
	}
	return tr, nil
}

// fieldValue is the Downward API value of path for pod.
func fieldValue(pod *corev1.Pod, path string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "metadata.labels":
		return formatMap(pod.Labels), nil
	case "metadata.annotations":
		return formatMap(pod.Annotations), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		return pod.Status.PodIP, nil
	case "status.hostIP":
		return pod.Status.HostIP, nil
	case "status.podIPs":
		ips := make([]string, 0, len(pod.Status.PodIPs))
		for _, ip := range pod.Status.PodIPs {
			ips = append(ips, ip.IP)
		}
		return strings.Join(ips, ","), nil
	}
	if key, ok := subscript(path, "metadata.labels"); ok {
		return pod.Labels[key], nil
	}
	if key, ok := subscript(path, "metadata.annotations"); ok {
		return pod.Annotations[key], nil
	}
	return "", fmt.Errorf("field path %q not supported", path)
}

// subscript parses `prefix['key']`.
func subscript(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix+"['")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "']")
}

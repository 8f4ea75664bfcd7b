package kubelet

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/utils/ptr"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// containerEnv is the environment of container c, as the kubelet and a container
// runtime would give it: PATH and HOSTNAME, the KUBERNETES_SERVICE_* variables,
// envFrom, then env (later wins), with $(VAR) references expanded.
func (k *Kubelet) containerEnv(pod *corev1.Pod, c *corev1.Container) (map[string]string, error) {
	env := map[string]string{"PATH": defaultPath, "HOSTNAME": podHostname(pod)}
	for name, v := range k.serviceEnv() {
		env[name] = v
	}
	for _, from := range c.EnvFrom {
		if err := k.envFrom(env, pod.Namespace, from); err != nil {
			return nil, err
		}
	}
	for _, e := range c.Env {
		v, skip, err := k.envValue(pod, c, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if !skip {
			env[e.Name] = expand(v, env)
		}
	}
	return env, nil
}

// serviceEnv are the variables of the "kubernetes" Service that every container
// gets. With no kube-proxy here, they name the apiserver's real address.
func (k *Kubelet) serviceEnv() map[string]string {
	h, p := k.cfg.APIServerHost, k.cfg.APIServerPort
	return map[string]string{
		"KUBERNETES_SERVICE_HOST":       h,
		"KUBERNETES_SERVICE_PORT":       p,
		"KUBERNETES_SERVICE_PORT_HTTPS": p,
		"KUBERNETES_PORT":               "tcp://" + h + ":" + p,
		"KUBERNETES_PORT_443_TCP":       "tcp://" + h + ":" + p,
		"KUBERNETES_PORT_443_TCP_PROTO": "tcp",
		"KUBERNETES_PORT_443_TCP_PORT":  p,
		"KUBERNETES_PORT_443_TCP_ADDR":  h,
	}
}

func (k *Kubelet) envFrom(env map[string]string, ns string, from corev1.EnvFromSource) error {
	var data map[string]string
	switch {
	case from.ConfigMapRef != nil:
		cm, err := k.configMaps.ConfigMaps(ns).Get(from.ConfigMapRef.Name)
		if apierrors.IsNotFound(err) && ptr.Deref(from.ConfigMapRef.Optional, false) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("envFrom configmap %s: %w", from.ConfigMapRef.Name, err)
		}
		data = cm.Data
	case from.SecretRef != nil:
		s, err := k.secrets.Secrets(ns).Get(from.SecretRef.Name)
		if apierrors.IsNotFound(err) && ptr.Deref(from.SecretRef.Optional, false) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("envFrom secret %s: %w", from.SecretRef.Name, err)
		}
		data = map[string]string{}
		for key, v := range s.Data {
			data[key] = string(v)
		}
	}
	for key, v := range data {
		env[from.Prefix+key] = v
	}
	return nil
}

// envValue resolves one env entry; skip is true for an optional missing reference.
func (k *Kubelet) envValue(pod *corev1.Pod, c *corev1.Container, e corev1.EnvVar) (string, bool, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		return e.Value, false, nil
	case src.FieldRef != nil:
		v, err := fieldValue(pod, src.FieldRef.FieldPath)
		return v, false, err
	case src.ResourceFieldRef != nil:
		return resourceValue(c, src.ResourceFieldRef), false, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := k.configMaps.ConfigMaps(pod.Namespace).Get(ref.Name)
		if err == nil {
			if v, ok := cm.Data[ref.Key]; ok {
				return v, false, nil
			}
			err = fmt.Errorf("configmap %s has no key %q", ref.Name, ref.Key)
		}
		return "", ptr.Deref(ref.Optional, false), optionalErr(err, ref.Optional)
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := k.secrets.Secrets(pod.Namespace).Get(ref.Name)
		if err == nil {
			if v, ok := s.Data[ref.Key]; ok {
				return string(v), false, nil
			}
			err = fmt.Errorf("secret %s has no key %q", ref.Name, ref.Key)
		}
		return "", ptr.Deref(ref.Optional, false), optionalErr(err, ref.Optional)
	}
	return "", false, fmt.Errorf("unsupported valueFrom")
}

func optionalErr(err error, optional *bool) error {
	if ptr.Deref(optional, false) {
		return nil
	}
	return err
}

func resourceValue(c *corev1.Container, ref *corev1.ResourceFieldSelector) string {
	list := c.Resources.Limits
	name, ok := strings.CutPrefix(ref.Resource, "limits.")
	if !ok {
		list = c.Resources.Requests
		name = strings.TrimPrefix(ref.Resource, "requests.")
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok {
		return "0"
	}
	div := ref.Divisor
	if div.IsZero() {
		if name == "cpu" {
			// CPU rounds up to whole cores by default, as the kubelet does.
			return fmt.Sprint((q.MilliValue() + 999) / 1000)
		}
		return fmt.Sprint(q.Value())
	}
	return fmt.Sprint((q.MilliValue() + div.MilliValue() - 1) / div.MilliValue())
}

// expand replaces $(NAME) with env's value, keeps unknown references as they are
// and turns $$ into $, like the kubelet's expansion.
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// envList renders env as sorted KEY=value strings.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for key, v := range env {
		out = append(out, key+"="+v)
	}
	sort.Strings(out)
	return out
}

func podHostname(pod *corev1.Pod) string {
	if pod.Spec.Hostname != "" {
		return pod.Spec.Hostname
	}
	return pod.Name
}

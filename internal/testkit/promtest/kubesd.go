package promtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Debian's prometheus is built without Kubernetes service discovery
// (kubernetes_sd_configs is rejected as an unknown field). KubernetesSD stands in for
// it: an HTTP service-discovery endpoint (http_sd_configs) that lists the real API
// server's pods on every refresh and labels each container port as Prometheus'
// kubernetes_sd_configs with role: pod does (the __meta_kubernetes_pod_* labels), so
// the relabel_configs written for Kubernetes discovery apply unchanged.

// KubernetesSD starts the discovery endpoint for client's pods and returns its URL.
// The query parameter namespaces=a,b restricts it like kubernetes_sd's namespaces.
func KubernetesSD(t testing.TB, client kubernetes.Interface) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var groups []targetGroup
		for _, ns := range namespaces(r.URL.Query().Get("namespaces")) {
			pods, err := client.CoreV1().Pods(ns).List(r.Context(), metav1.ListOptions{})
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			for i := range pods.Items {
				groups = append(groups, podTargets(&pods.Items[i])...)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(groups)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// ReplaceKubernetesSD rewrites the kubernetes_sd_configs (role: pod) of a scrape
// config into http_sd_configs against sdURL, keeping the namespace restriction.
func ReplaceKubernetesSD(scrapeConfig map[string]any, sdURL string) error {
	sds, ok := scrapeConfig["kubernetes_sd_configs"].([]any)
	if !ok {
		return fmt.Errorf("job %v: no kubernetes_sd_configs", scrapeConfig["job_name"])
	}
	var https []any
	for _, raw := range sds {
		sd, _ := raw.(map[string]any)
		if sd["role"] != "pod" {
			return fmt.Errorf("job %v: only role: pod is supported, got %v", scrapeConfig["job_name"], sd["role"])
		}
		url := sdURL
		if nsSel, ok := sd["namespaces"].(map[string]any); ok {
			var names []string
			for _, n := range nsSel["names"].([]any) {
				names = append(names, fmt.Sprint(n))
			}
			url += "?namespaces=" + strings.Join(names, ",")
		}
		https = append(https, map[string]any{"url": url, "refresh_interval": "1s"})
	}
	delete(scrapeConfig, "kubernetes_sd_configs")
	scrapeConfig["http_sd_configs"] = https
	return nil
}

func namespaces(param string) []string {
	if param == "" {
		return []string{metav1.NamespaceAll}
	}
	return strings.Split(param, ",")
}

// targetGroup is one entry of the HTTP SD response.
type targetGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

var invalidLabelChars = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// podTargets is one target per container port (init containers included), or one per
// container without ports, as Prometheus' pod role builds them.
func podTargets(pod *corev1.Pod) []targetGroup {
	if pod.Status.PodIP == "" {
		return nil
	}
	base := podLabels(pod)
	var out []targetGroup
	containers := append(append([]corev1.Container{}, pod.Spec.Containers...), pod.Spec.InitContainers...)
	for i, c := range containers {
		cl := maps.Clone(base)
		cl["__meta_kubernetes_pod_container_name"] = c.Name
		cl["__meta_kubernetes_pod_container_image"] = c.Image
		cl["__meta_kubernetes_pod_container_init"] = strconv.FormatBool(i >= len(pod.Spec.Containers))
		if len(c.Ports) == 0 {
			out = append(out, targetGroup{Targets: []string{pod.Status.PodIP}, Labels: cl})
			continue
		}
		for _, p := range c.Ports {
			pl := maps.Clone(cl)
			pl["__meta_kubernetes_pod_container_port_name"] = p.Name
			pl["__meta_kubernetes_pod_container_port_number"] = strconv.Itoa(int(p.ContainerPort))
			pl["__meta_kubernetes_pod_container_port_protocol"] = string(p.Protocol)
			addr := net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(int(p.ContainerPort)))
			out = append(out, targetGroup{Targets: []string{addr}, Labels: pl})
		}
	}
	return out
}

// podLabels are the pod-level meta labels.
func podLabels(pod *corev1.Pod) map[string]string {
	l := map[string]string{
		"__meta_kubernetes_namespace":           pod.Namespace,
		"__meta_kubernetes_pod_name":            pod.Name,
		"__meta_kubernetes_pod_ip":              pod.Status.PodIP,
		"__meta_kubernetes_pod_node_name":       pod.Spec.NodeName,
		"__meta_kubernetes_pod_host_ip":         pod.Status.HostIP,
		"__meta_kubernetes_pod_uid":             string(pod.UID),
		"__meta_kubernetes_pod_phase":           string(pod.Status.Phase),
		"__meta_kubernetes_pod_ready":           "unknown",
		"__meta_kubernetes_pod_controller_kind": "",
		"__meta_kubernetes_pod_controller_name": "",
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			l["__meta_kubernetes_pod_ready"] = strings.ToLower(string(c.Status))
		}
	}
	if ref := metav1.GetControllerOf(pod); ref != nil {
		l["__meta_kubernetes_pod_controller_kind"] = ref.Kind
		l["__meta_kubernetes_pod_controller_name"] = ref.Name
	}
	for k, v := range pod.Labels {
		name := invalidLabelChars.ReplaceAllString(k, "_")
		l["__meta_kubernetes_pod_label_"+name] = v
		l["__meta_kubernetes_pod_labelpresent_"+name] = "true"
	}
	for k, v := range pod.Annotations {
		name := invalidLabelChars.ReplaceAllString(k, "_")
		l["__meta_kubernetes_pod_annotation_"+name] = v
		l["__meta_kubernetes_pod_annotationpresent_"+name] = "true"
	}
	return l
}

package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// networkProberKind is the kind of k8s-network-prober-operator's CRD
// (bigmikes/k8s-network-prober-operator api/v1alpha1/networkprober_types.go).
const networkProberKind = "NetworkProber"

// networkProber is the part of a NetworkProber that is converted.
type networkProber struct {
	Spec json.RawMessage `json:"spec"`
}

// networkProberSpec has the fields of every published version of
// NetworkProberSpec: podSelector as a map or a LabelSelector, httpTargets, and
// the README's httpPort, pollingPeriod, httpPrometheusPort and agentImage.
type networkProberSpec struct {
	PodSelector        json.RawMessage `json:"podSelector"`
	HTTPTargets        []string        `json:"httpTargets"`
	HTTPPort           scalar          `json:"httpPort"`
	PollingPeriod      string          `json:"pollingPeriod"`
	HTTPPrometheusPort scalar          `json:"httpPrometheusPort"`
	AgentImage         string          `json:"agentImage"`
}

// namespaceDoc is a Namespace as the output writes it: only the labels.
type namespaceDoc struct {
	APIVersion string     `yaml:"apiVersion"`
	Kind       string     `yaml:"kind"`
	Metadata   objectMeta `yaml:"metadata"`
}

// convertNetworkProber converts NetworkProber objects to Namespace labels and
// a plan for labelling the selected pods.
func convertNetworkProber(data []byte, opts Options) (Result, error) {
	objs, err := kubernetesObjects(data)
	if err != nil {
		return Result{}, err
	}
	var w warnings
	var out output
	if err := out.add(networkProberHeader(opts), nil); err != nil {
		return Result{}, err
	}
	namespaces := map[string]bool{}
	for _, o := range objs {
		if o.kind != networkProberKind {
			w.add(o.id(), "kind", "skipped: not a %s", networkProberKind)
			continue
		}
		plan, err := networkProberPlan(o, &w)
		if err != nil {
			return Result{}, err
		}
		ns := o.namespace
		if ns == "" || namespaces[ns] {
			if err := out.add(plan, nil); err != nil {
				return Result{}, err
			}
			continue
		}
		namespaces[ns] = true
		plan = append(plan, "", fmt.Sprintf("The NetworkProber's own namespace, %s, joins the mesh:", ns))
		doc := namespaceDoc{APIVersion: "v1", Kind: "Namespace", Metadata: objectMeta{Name: ns,
			Labels: map[string]string{contract.LabelMesh: contract.NamespaceMeshEnabled}}}
		if err := out.add(plan, doc); err != nil {
			return Result{}, err
		}
	}
	return Result{YAML: out.bytes(), Warnings: w.list}, nil
}

// networkProberHeader is the comment at the top of the output.
func networkProberHeader(opts Options) []string {
	return []string{
		fmt.Sprintf("meshprobe convert --from network-prober -f %s", opts.SourceName),
		"k8s-network-prober-operator injected its agent into the pods its NetworkProbers select, in every",
		"namespace. meshprobe injects its sidecar into pods labelled " + contract.LabelInject + `: "true"` + ", and their",
		"sidecars join the mesh in namespaces labelled " + contract.LabelMesh + "=" + contract.NamespaceMeshEnabled + ". The plan for each NetworkProber",
		"follows; the Namespace documents label the NetworkProbers' own namespaces (kubectl apply -f).",
		"See docs/migration/k8s-network-prober-operator.md.",
		"",
		"PromQL: netprober_interpod_latency_s (labels dest_pod_name, dest_ip) becomes",
		`meshprobe_gossip_rtt_seconds{probe="echo"} (labels peer_namespace, same_node, same_zone, peer_zone):`,
		"  histogram_quantile(0.99, sum by (le) (rate(netprober_interpod_latency_s_bucket[5m])))",
		`  -> histogram_quantile(0.99, sum by (le) (rate(meshprobe_gossip_rtt_seconds_bucket{probe="echo"}[5m])))`,
		"Per destination pod (dest_pod_name), set MESHPROBE_RTT_PEER_LABELS=peer_pod in the sidecar and use",
		`  sum by (le, peer_pod) (rate(meshprobe_gossip_rtt_seconds_bucket{probe="echo"}[5m]))`,
		"dest_ip has no equivalent: series are labelled by peer, never by address.",
	}
}

// networkProberPlan decodes one NetworkProber and returns the comment that
// says what to do for it.
func networkProberPlan(o object, w *warnings) ([]string, error) {
	var np networkProber
	if err := json.Unmarshal(o.raw, &np); err != nil || len(np.Spec) == 0 {
		return nil, o.errorf("spec", "required: a mapping")
	}
	var s networkProberSpec
	if err := decodeKnown(np.Spec, &s, o, "spec", w); err != nil {
		return nil, err
	}
	selector, err := podSelector(o, s.PodSelector)
	if err != nil {
		return nil, err
	}
	if _, err := goDuration(o, "spec.pollingPeriod", s.PollingPeriod, false); err != nil {
		return nil, err
	}
	networkProberWarnings(o, s, w)
	patch, err := podTemplatePatch(o, s.HTTPTargets, w)
	if err != nil {
		return nil, err
	}
	return podPlan(o, selector, patch), nil
}

// podSelector renders spec.podSelector, a map (the first CRD version) or a
// LabelSelector, as a kubectl selector.
func podSelector(o object, raw json.RawMessage) (string, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return "", o.errorf("spec.podSelector", "required")
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(raw, &keys); err != nil {
		return "", o.errorf("spec.podSelector", "want a mapping, got %s", jsonKind(raw))
	}
	_, hasLabels := keys["matchLabels"]
	_, hasExpressions := keys["matchExpressions"]
	var sel metav1.LabelSelector
	if hasLabels || hasExpressions {
		if err := json.Unmarshal(raw, &sel); err != nil {
			field, problem := decodeError("spec.podSelector", err)
			return "", o.errorf(field, "%s", problem)
		}
	} else if err := json.Unmarshal(raw, &sel.MatchLabels); err != nil {
		field, problem := decodeError("spec.podSelector", err)
		return "", o.errorf(field, "%s", problem)
	}
	parsed, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		return "", o.errorf("spec.podSelector", "%s", err)
	}
	return parsed.String(), nil
}

// networkProberWarnings names the fields that do not carry over.
func networkProberWarnings(o object, s networkProberSpec, w *warnings) {
	id := o.id()
	if s.AgentImage != "" {
		w.add(id, "spec.agentImage", "dropped: meshprobe injects its own sidecar image (the webhook's --sidecar-image)")
	}
	if s.HTTPPort.set {
		w.add(id, "spec.httpPort", "dropped: meshprobe's RTT probes use the sidecar's gossip port, %d UDP (the next free one of %d-%d when the pod uses it)",
			contract.DefaultGossipPort, contract.DefaultPortRangeFirst, contract.DefaultPortRangeLast)
	}
	if s.HTTPPrometheusPort.set {
		w.add(id, "spec.httpPrometheusPort", "dropped: the sidecar serves /metrics on its %s port, %d; scrape it with manifests/monitoring's PodMonitor meshprobe-sidecars instead of one for np-prometheus",
			contract.PortNameHTTP, contract.DefaultHTTPPort)
	}
	if s.PollingPeriod != "" {
		w.add(id, "spec.pollingPeriod", "not carried over: each sidecar probes %s peers every %s (MESHPROBE_RTT_INTERVAL); to probe every %s instead, add the annotation %s: '{rtt: {interval: %s}}' to the pod template",
			"3", "1s", s.PollingPeriod, contract.AnnotationSidecar, s.PollingPeriod)
	}
}

// podTemplatePatch is the merge patch of the selected workloads' pod
// template: the inject label, and httpTargets as http checks.
func podTemplatePatch(o object, targets []string, w *warnings) (string, error) {
	meta := map[string]any{"labels": map[string]string{contract.LabelInject: "true"}}
	if len(targets) > 0 {
		var list checkList
		for i, target := range targets {
			name := checkName(o.name, "target")
			if len(targets) > 1 {
				name = withSuffix(name, "-"+strconv.Itoa(i+1))
			}
			list.add(check{Name: name, Type: spec.TypeHTTP, URL: target}, o.id(), w)
		}
		if len(list.checks) > 0 {
			annotation, err := yaml.Marshal(list.checks)
			if err != nil {
				return "", fmt.Errorf("rendering checks: %w", err)
			}
			meta["annotations"] = map[string]string{contract.AnnotationChecks: string(annotation)}
		}
	}
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"metadata": meta}}})
	if err != nil {
		return "", fmt.Errorf("rendering the patch: %w", err)
	}
	return string(patch), nil
}

// podPlan says how to find and label the pods a NetworkProber selects.
func podPlan(o object, selector, patch string) []string {
	flag := ""
	if selector != "" {
		flag = " -l " + shellQuote(selector)
	}
	list := "kubectl get pods -A" + flag + ` -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.ownerReferences[0].kind}{"/"}{.metadata.ownerReferences[0].name}{"\n"}{end}' | sort -u`
	return []string{
		"",
		fmt.Sprintf("%s selects the pods %s.", o.id(), selectorText(selector)),
		"1. List their namespaces and owners (a ReplicaSet <deployment>-<hash> belongs to a Deployment):",
		"     " + list,
		"2. Let each of those namespaces join the mesh:",
		"     kubectl label namespace <namespace> " + contract.LabelMesh + "=" + contract.NamespaceMeshEnabled,
		"3. Add the inject label to each owner's pod template; the rollout recreates the pods with the sidecar:",
		"     kubectl -n <namespace> patch <deployment|statefulset|daemonset>/<name> --type=merge -p " + shellQuote(patch),
		"   Pods without an owner get the label " + contract.LabelInject + `: "true"` + " in their manifest and are recreated.",
		"4. Remove the NetworkProber, then k8s-network-prober-operator, once the sidecars report RTT.",
	}
}

// selectorText describes a selector in prose.
func selectorText(selector string) string {
	if selector == "" {
		return "of every namespace (empty podSelector)"
	}
	return "labelled " + selector + ", in every namespace"
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

package migrate

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// Names of the cluster-check ConfigMaps meshprobe's control plane collects.
const (
	// LabelChecks selects cluster-check ConfigMaps (value "true"); it has the
	// name of the pod annotation whose schema their keys hold.
	LabelChecks = contract.AnnotationChecks
	// ChecksKey is the ConfigMap key the converted checks are written under.
	ChecksKey = "checks.yaml"
)

// output is the multi-document YAML being written.
type output struct {
	docs []string
}

// commentLines renders lines as YAML comments.
func commentLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		for part := range strings.SplitSeq(l, "\n") {
			if part == "" {
				b.WriteString("#\n")
				continue
			}
			b.WriteString("# " + part + "\n")
		}
	}
	return b.String()
}

// add appends a document: comments, then v as YAML (v nil: comments only).
func (o *output) add(comment []string, v any) error {
	doc := commentLines(comment)
	if v != nil {
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("rendering YAML: %w", err)
		}
		doc += buf.String()
	}
	o.docs = append(o.docs, doc)
	return nil
}

// bytes joins the documents with YAML document separators.
func (o *output) bytes() []byte {
	return []byte(strings.Join(o.docs, "---\n"))
}

// objectMeta is the metadata of an output object.
type objectMeta struct {
	Name      string            `yaml:"name"`
	Namespace string            `yaml:"namespace,omitempty"`
	Labels    map[string]string `yaml:"labels,omitempty"`
}

// configMapDoc is a ConfigMap as the output writes it.
type configMapDoc struct {
	APIVersion string            `yaml:"apiVersion"`
	Kind       string            `yaml:"kind"`
	Metadata   objectMeta        `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
}

// addChecksConfigMap appends a cluster-check ConfigMap holding checks. The
// whole list is parsed as meshprobe's control plane will parse it.
func (o *output) addChecksConfigMap(comment []string, name, namespace string, checks []check) error {
	if err := validate(checks); err != nil {
		return fmt.Errorf("ConfigMap %q: %w", name, err)
	}
	list, err := yaml.Marshal(checks)
	if err != nil {
		return fmt.Errorf("rendering checks: %w", err)
	}
	cm := configMapDoc{
		APIVersion: "v1", Kind: "ConfigMap",
		Metadata: objectMeta{Name: name, Namespace: namespace, Labels: map[string]string{LabelChecks: "true"}},
		Data:     map[string]string{ChecksKey: string(list)},
	}
	return o.add(comment, cm)
}

// invalidObjectNameChars are the characters a ConfigMap name may not hold.
var invalidObjectNameChars = regexp.MustCompile(`[^a-z0-9.-]+`)

// objectName makes a valid Kubernetes object name (DNS subdomain) of prefix
// and s: lower case, invalid characters become '-', cut to 253 bytes.
func objectName(prefix, s string) string {
	n := invalidObjectNameChars.ReplaceAllString(strings.ToLower(s), "-")
	n = strings.Trim(n, "-.")
	if n == "" {
		return prefix
	}
	n = prefix + "-" + n
	if len(n) > validation.DNS1123SubdomainMaxLength {
		n = strings.TrimRight(n[:validation.DNS1123SubdomainMaxLength], "-.")
	}
	return n
}

// uniqueObjectName returns objectName(prefix, s), with a numeric suffix if
// taken already in used, and records it.
func uniqueObjectName(used map[string]bool, prefix, s string) string {
	base := objectName(prefix, s)
	name := base
	for n := 2; used[name]; n++ {
		suffix := "-" + strconv.Itoa(n)
		cut := min(len(base), validation.DNS1123SubdomainMaxLength-len(suffix))
		name = strings.TrimRight(base[:cut], "-.") + suffix
	}
	used[name] = true
	return name
}

package migrate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// object is one Kubernetes object of the input.
type object struct {
	// doc is the 1-based position of its YAML document.
	doc int
	// item is its 1-based position in a List document, else 0.
	item                              int
	apiVersion, kind, name, namespace string
	labels                            map[string]string
	// raw is the whole object as JSON.
	raw json.RawMessage
}

// id names the object in warnings: `SyntheticTest "ns/name"`.
func (o object) id() string {
	name := o.name
	if o.namespace != "" {
		name = o.namespace + "/" + name
	}
	if name == "" && o.doc == 0 {
		return o.kind
	}
	if name == "" {
		name = "#" + strconv.Itoa(o.doc)
		if o.item > 0 {
			name += "." + strconv.Itoa(o.item)
		}
	}
	return fmt.Sprintf("%s %q", o.kind, name)
}

// errorf returns an InputError about a field of o.
func (o object) errorf(field, format string, args ...any) *InputError {
	return &InputError{Document: o.doc, Object: o.id(), Field: field, Problem: fmt.Sprintf(format, args...)}
}

// meta is the part of an object every kind has.
type meta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Items []json.RawMessage `json:"items"`
}

// yamlDocuments splits a YAML stream into its documents, as JSON; empty
// documents are left out but counted.
func yamlDocuments(data []byte) ([]json.RawMessage, []int, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []json.RawMessage
	var positions []int
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, positions, nil
		}
		if err != nil {
			return nil, nil, &InputError{Document: n, Problem: "invalid YAML: " + err.Error()}
		}
		js, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, nil, &InputError{Document: n, Problem: "invalid YAML: " + yamlProblem(err)}
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || string(t) == "null" {
			continue
		}
		docs = append(docs, js)
		positions = append(positions, n)
	}
}

// yamlProblem shortens a YAML library error to its message.
func yamlProblem(err error) string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	return strings.Join(strings.Fields(strings.TrimPrefix(msg, "yaml: ")), " ")
}

// kubernetesObjects reads the objects of a YAML stream: documents holding one
// object each, or Lists (kubectl get -o yaml) holding several.
func kubernetesObjects(data []byte) ([]object, error) {
	docs, positions, err := yamlDocuments(data)
	if err != nil {
		return nil, err
	}
	var objs []object
	for i, js := range docs {
		o, err := decodeObject(positions[i], 0, js)
		if err != nil {
			return nil, err
		}
		if !strings.HasSuffix(o.kind, "List") {
			objs = append(objs, o)
			continue
		}
		var m meta
		_ = json.Unmarshal(js, &m) // decodeObject decoded it already
		for j, item := range m.Items {
			in, err := decodeObject(positions[i], j+1, item)
			if err != nil {
				return nil, err
			}
			objs = append(objs, in)
		}
	}
	return objs, nil
}

// decodeObject reads the type and metadata of one object.
func decodeObject(doc, item int, js json.RawMessage) (object, error) {
	var m meta
	if err := json.Unmarshal(js, &m); err != nil {
		field, problem := decodeError("", err)
		if field == "" {
			problem = "want a Kubernetes object (a mapping with apiVersion and kind), got " + jsonKind(js)
		}
		if item > 0 {
			field = joinField("items["+strconv.Itoa(item-1)+"]", field)
		}
		return object{}, &InputError{Document: doc, Field: field, Problem: problem}
	}
	o := object{doc: doc, item: item, apiVersion: m.APIVersion, kind: m.Kind, name: m.Metadata.Name,
		namespace: m.Metadata.Namespace, labels: m.Metadata.Labels, raw: js}
	if o.kind == "" {
		return o, &InputError{Document: doc, Field: "kind", Problem: "required"}
	}
	return o, nil
}

// jsonKind names the JSON type of a value for an error message.
func jsonKind(js []byte) string {
	t := bytes.TrimSpace(js)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// decodeKnown decodes the JSON object js into v (a pointer to a struct) and
// warns about each key that v has no field for. prefix is the field path of
// js in the object, for messages.
func decodeKnown(js json.RawMessage, v any, o object, prefix string, w *warnings) error {
	if len(bytes.TrimSpace(js)) == 0 || string(bytes.TrimSpace(js)) == "null" {
		return nil
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(js, &keys); err != nil {
		return o.errorf(prefix, "want a mapping, got %s", jsonKind(js))
	}
	if err := json.Unmarshal(js, v); err != nil {
		field, problem := decodeError(prefix, err)
		return o.errorf(field, "%s", problem)
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if !slices.Contains(known, k) {
			w.add(o.id(), joinField(prefix, k), "unknown field, ignored")
		}
	}
	return nil
}

// jsonFields lists the JSON names of the fields of struct type t.
func jsonFields(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// jsonUnmarshal decodes a JSON string into v.
func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

package webhook

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

var (
	typeOfSettings    = reflect.TypeFor[SidecarSettings]()
	typeOfUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// unknownFields walks v, the generic JSON decoding of a value of type t, and
// returns a *SettingsError, naming the dotted path, for every field t does not
// have and every value of the wrong kind, as yaml's KnownFields(true) would,
// but all of them rather than the first. A type with its own UnmarshalJSON
// (a resource.Quantity, a Duration) decodes its value to find problems.
func unknownFields(v any, t reflect.Type, path string) []error {
	if v == nil {
		return nil
	}
	if reflect.PointerTo(t).Implements(typeOfUnmarshaler) {
		return customProblem(v, t, path)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return unknownFields(v, t.Elem(), path)
	case reflect.Struct:
		return structProblems(v, t, path)
	case reflect.Slice:
		list, ok := v.([]any)
		if !ok {
			return []error{kindProblem(path, "a list", v)}
		}
		var errs []error
		for i, e := range list {
			errs = append(errs, unknownFields(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))...)
		}
		return errs
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return []error{kindProblem(path, "a mapping", v)}
		}
		var errs []error
		for _, k := range slices.Sorted(maps.Keys(m)) {
			errs = append(errs, unknownFields(m[k], t.Elem(), join(path, k))...)
		}
		return errs
	}
	return scalarProblem(v, t, path)
}

func structProblems(v any, t reflect.Type, path string) []error {
	m, ok := v.(map[string]any)
	if !ok {
		return []error{kindProblem(path, "a mapping", v)}
	}
	fields := jsonFieldTypes(t)
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		ft, known := fields[k]
		if !known {
			errs = append(errs, &SettingsError{Field: join(path, k), Problem: "unknown field"})
			continue
		}
		errs = append(errs, unknownFields(m[k], ft, join(path, k))...)
	}
	return errs
}

// scalarProblem checks a string, number or boolean against its Go kind.
func scalarProblem(v any, t reflect.Type, path string) []error {
	switch t.Kind() {
	case reflect.String:
		if _, ok := v.(string); !ok {
			return []error{kindProblem(path, "a string", v)}
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return []error{kindProblem(path, "true or false", v)}
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || reflect.New(t).Elem().OverflowInt(int64(f)) || math.Abs(f) > 1<<53 {
			return []error{kindProblem(path, "an integer", v)}
		}
	}
	return nil
}

// customProblem decodes v into a new t with t's own UnmarshalJSON.
func customProblem(v any, t reflect.Type, path string) []error {
	raw, err := json.Marshal(v)
	if err != nil {
		return []error{&SettingsError{Field: path, Problem: err.Error()}}
	}
	if err := json.Unmarshal(raw, reflect.New(t).Interface()); err != nil {
		return []error{&SettingsError{Field: path, Problem: strings.TrimPrefix(err.Error(), "json: ")}}
	}
	return nil
}

func kindProblem(path, want string, got any) error {
	return &SettingsError{Field: path, Problem: "want " + want + ", got " + genericKind(got)}
}

// genericKind names the kind of a generic JSON value.
func genericKind(v any) string {
	switch v := v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return "null"
}

// jsonFieldTypes maps the JSON names of t's fields, inlined ones included, to
// their types.
func jsonFieldTypes(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case name == "" && (f.Anonymous || strings.Contains(opts, "inline")):
			for k, ft := range jsonFieldTypes(f.Type) {
				out[k] = ft
			}
		case name == "":
			out[f.Name] = f.Type
		default:
			out[name] = f.Type
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

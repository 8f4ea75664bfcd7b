package spec

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
)

// decodeStruct decodes fields into the struct that ptr points to, field by field,
// so that each error names its field (prefix + the JSON name). Fields the struct
// does not have are errors, like yaml's KnownFields(true). Fields absent or null
// keep the value already in the struct: the defaults.
func decodeStruct(p *problems, prefix string, fields map[string]json.RawMessage, ptr any) {
	v := reflect.ValueOf(ptr).Elem()
	byName := jsonFields(v.Type())
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		path := prefix + key
		i, ok := byName[key]
		if !ok {
			p.add(path, "unknown field%s", unknownFieldHint(key))
			continue
		}
		decodeValue(p, path, fields[key], v.Field(i))
	}
}

// decodeValue decodes one field's raw JSON into fv.
func decodeValue(p *problems, path string, raw json.RawMessage, fv reflect.Value) {
	if string(raw) == "null" {
		return
	}
	ft := fv.Type()
	if st := ft; st.Kind() == reflect.Struct || (st.Kind() == reflect.Pointer && st.Elem().Kind() == reflect.Struct) {
		var sub map[string]json.RawMessage
		if err := json.Unmarshal(raw, &sub); err != nil {
			p.add(path, "want a mapping, got %s", jsonKind(raw))
			return
		}
		if ft.Kind() == reflect.Pointer {
			fv.Set(reflect.New(ft.Elem()))
			fv = fv.Elem()
		}
		decodeStruct(p, path+".", sub, fv.Addr().Interface())
		return
	}
	if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
		p.add(path, "%s", decodeProblem(err, ft, raw))
	}
}

// decodeProblem words a json decoding error for a user.
func decodeProblem(err error, ft reflect.Type, raw json.RawMessage) string {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	switch ft.Kind() {
	case reflect.Map:
		if jsonKind(raw) == "a mapping" {
			return "want a mapping of strings to strings, got a value that is not a string"
		}
		return "want a mapping of strings to strings, got " + jsonKind(raw)
	case reflect.Int:
		return "want an integer, got " + jsonKind(raw)
	case reflect.Bool, reflect.Pointer:
		return "want true or false, got " + jsonKind(raw)
	default:
		return "want a string, got " + jsonKind(raw)
	}
}

// jsonFields maps the JSON names of t's fields to their indexes.
func jsonFields(t reflect.Type) map[string]int {
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			m[name] = i
		}
	}
	return m
}

// checkFieldNames are the JSON names of Check's fields.
func checkFieldNames() map[string]int { return jsonFields(reflect.TypeFor[Check]()) }

// unknownFieldHint points people who try to inline a secret at the right fields.
func unknownFieldHint(key string) string {
	switch strings.ToLower(key) {
	case "password":
		return " (the password comes from passwordFile or passwordEnv of the sidecar, never inline)"
	case "token", "bearertoken", "bearer":
		return " (the token comes from bearerTokenFile or bearerTokenEnv of the sidecar, never inline)"
	}
	return ""
}

// jsonKind names the kind of a raw JSON value for error messages.
func jsonKind(raw []byte) string {
	s := strings.TrimSpace(string(raw))
	if s == "" {
		return "nothing"
	}
	switch s[0] {
	case '"':
		return "a string"
	case '{':
		return "a mapping"
	case '[':
		return "a list"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

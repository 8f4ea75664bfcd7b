package migrate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// InputError is a problem with the input that stops the conversion: it names
// the document, the object and the field.
type InputError struct {
	// Document is the 1-based position of the YAML document; 0 when the input
	// is one document or the problem concerns the whole input.
	Document int
	// Object names the object (`SyntheticTest "dns"`, `url "Google"`), if known.
	Object string
	// Field is the field at fault ("spec.repeat"), if any.
	Field string
	// Problem says what is wrong.
	Problem string
}

// Error formats e as `document 2 (SyntheticTest "dns"): field "spec.repeat": <problem>`.
func (e *InputError) Error() string {
	var where []string
	if e.Document > 0 {
		doc := "document " + strconv.Itoa(e.Document)
		if e.Object != "" {
			doc += " (" + e.Object + ")"
		}
		where = append(where, doc)
	} else if e.Object != "" {
		where = append(where, e.Object)
	}
	if e.Field != "" {
		where = append(where, "field "+strconv.Quote(e.Field))
	}
	where = append(where, e.Problem)
	return strings.Join(where, ": ")
}

// decodeError turns a JSON decoding error of the object at prefix into the
// field and problem of an InputError.
func decodeError(prefix string, err error) (field, problem string) {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field = joinField(prefix, te.Field)
		return field, fmt.Sprintf("want %s, got %s", goKind(te.Type.Kind().String()), jsonWord(te.Value))
	}
	return prefix, err.Error()
}

// goKind names a Go kind the way a YAML user thinks of it.
func goKind(kind string) string {
	switch kind {
	case "map", "struct":
		return "a mapping"
	case "slice", "array":
		return "a list"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "interface":
		return "a value"
	}
	return "a number"
}

// joinField joins a field path prefix and a field name.
func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

// jsonWord names a JSON type word of encoding/json ("object", "number") the
// way a YAML user thinks of it.
func jsonWord(word string) string {
	switch word {
	case "object":
		return "a mapping"
	case "array":
		return "a list"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "number":
		return "a number"
	}
	return word
}

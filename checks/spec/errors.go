package spec

import (
	"fmt"
	"strconv"
)

// Error is one problem in a checks annotation. Parse joins several of them with
// errors.Join; errors.As or the Unwrap() []error method gets them one by one.
type Error struct {
	// Name is the check's name, when it has a usable one.
	Name string
	// Index is the check's 1-based position in the list; 0 for a problem with
	// the annotation as a whole.
	Index int
	// Field is the annotation field at fault ("expectStatus", "basicAuth.passwordFile"),
	// or empty for a problem with the whole check or annotation.
	Field string
	// Problem says what is wrong.
	Problem string
}

// Error formats the problem as `check "api": field "expectStatus": <problem>`.
func (e *Error) Error() string {
	var check string
	switch {
	case e.Name != "":
		check = "check " + strconv.Quote(e.Name)
	case e.Index > 0:
		check = "check #" + strconv.Itoa(e.Index)
	default:
		return e.Problem
	}
	if e.Field == "" {
		return check + ": " + e.Problem
	}
	return fmt.Sprintf("%s: field %q: %s", check, e.Field, e.Problem)
}

// problems collects the errors of one check.
type problems struct {
	name  string
	index int
	list  []error
}

// add records a problem with field (empty for the check as a whole).
func (p *problems) add(field, format string, args ...any) {
	p.list = append(p.list, &Error{Name: p.name, Index: p.index, Field: field, Problem: fmt.Sprintf(format, args...)})
}

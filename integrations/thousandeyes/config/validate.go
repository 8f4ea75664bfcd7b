package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Intervals are the test intervals the API accepts, in seconds.
var Intervals = []int{60, 120, 300, 600, 900, 1800, 3600}

// MarkerPrefix starts the ownership marker the sync appends to descriptions; a
// declared description must not contain it.
const MarkerPrefix = "[meshprobe "

// Validate checks a defaulted File. Each error names httpTests[i] ("name") and the field.
func (f *File) Validate() error {
	var errs []error
	seen := map[string]int{}
	for i := range f.HTTPTests {
		t := &f.HTTPTests[i]
		where := fmt.Sprintf("httpTests[%d]", i)
		if t.TestName != "" {
			where += fmt.Sprintf(" (%q)", t.TestName)
			if j, dup := seen[t.TestName]; dup {
				errs = append(errs, fmt.Errorf("%s: testName: duplicate of httpTests[%d]", where, j))
			}
			seen[t.TestName] = i
		}
		for _, e := range t.validate() {
			errs = append(errs, fmt.Errorf("%s: %w", where, e))
		}
	}
	return errors.Join(errs...)
}

func (t *HTTPTest) validate() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if t.TestName == "" {
		bad("testName", "required")
	}
	if len(t.TestName) > 255 {
		bad("testName", "longer than 255 characters")
	}
	if u, err := url.Parse(t.URL); t.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("url", "%q is not an absolute http or https URL", t.URL)
	}
	if !slices.Contains(Intervals, t.Interval) {
		bad("interval", "%d is not one of %v (seconds)", t.Interval, Intervals)
	}
	if strings.Contains(t.Description, MarkerPrefix) {
		bad("description", "must not contain %q, meshprobe's ownership marker", MarkerPrefix)
	}
	if v := *t.HTTPTargetTime; v < 100 || v > 5000 {
		bad("httpTargetTime", "%d is outside 100-5000 (ms)", v)
	}
	if v := *t.HTTPTimeLimit; v < 5 || v > 60 {
		bad("httpTimeLimit", "%d is outside 5-60 (s)", v)
	}
	errs = append(errs, validateRefs("agents", t.Agents, true)...)
	errs = append(errs, validateRefs("alertRules", t.AlertRules, false)...)
	for i, h := range t.Headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" || strings.ContainsAny(h, "\r\n") {
			bad(fmt.Sprintf("headers[%d]", i), "%q is not \"Name: value\"", h)
		}
	}
	return errs
}

func validateRefs(field string, refs []Ref, required bool) []error {
	var errs []error
	if required && len(refs) == 0 {
		errs = append(errs, fmt.Errorf("%s: at least one is required", field))
	}
	for i, r := range refs {
		if r == "" {
			errs = append(errs, fmt.Errorf("%s[%d]: empty", field, i))
		}
	}
	return errs
}

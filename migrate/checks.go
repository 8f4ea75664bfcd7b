package migrate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// check is one meshprobe check as the output writes it: the fields of
// spec.Check in reading order, defaults left out.
type check struct {
	Name            string            `yaml:"name"`
	DisplayName     string            `yaml:"displayName,omitempty"`
	Description     string            `yaml:"description,omitempty"`
	Labels          map[string]string `yaml:"labels,omitempty"`
	Type            spec.Type         `yaml:"type"`
	RunOn           string            `yaml:"runOn,omitempty"`
	Interval        string            `yaml:"interval,omitempty"`
	Timeout         string            `yaml:"timeout,omitempty"`
	Retries         int               `yaml:"retries,omitempty"`
	URL             string            `yaml:"url,omitempty"`
	Method          string            `yaml:"method,omitempty"`
	Headers         map[string]string `yaml:"headers,omitempty"`
	Body            string            `yaml:"body,omitempty"`
	ExpectStatus    string            `yaml:"expectStatus,omitempty"`
	BasicAuth       *basicAuth        `yaml:"basicAuth,omitempty"`
	BearerTokenFile string            `yaml:"bearerTokenFile,omitempty"`
	Address         string            `yaml:"address,omitempty"`
	Query           string            `yaml:"query,omitempty"`
}

// basicAuth is spec.BasicAuth with a password file.
type basicAuth struct {
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"passwordFile"`
}

// checkList is a list of checks with the source object of each, for warnings.
type checkList struct {
	checks  []check
	sources []string
	used    map[string]bool
}

// add validates c with spec.Parse and appends it, or warns naming source and
// skips it. The name is made unique first.
func (l *checkList) add(c check, source string, w *warnings) {
	if l.used == nil {
		l.used = map[string]bool{}
	}
	base := c.Name
	for n := 2; l.used[c.Name]; n++ {
		c.Name = withSuffix(base, "-"+strconv.Itoa(n))
	}
	if c.Name != base {
		w.add(source, "", "check name %q is taken by an earlier check: named %q", base, c.Name)
	}
	if err := validate([]check{c}); err != nil {
		w.add(source, "", "skipped: the converted check is not valid: %v", err)
		return
	}
	l.used[c.Name] = true
	l.checks = append(l.checks, c)
	l.sources = append(l.sources, source)
}

// validate renders checks as the annotation and parses it as meshprobe would.
func validate(checks []check) error {
	data, err := yaml.Marshal(checks)
	if err != nil {
		return fmt.Errorf("rendering checks: %w", err)
	}
	_, err = spec.Parse(data)
	return err
}

// invalidNameChars are the characters a check name may not hold.
var invalidNameChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// maxNameBytes is the length limit of a check name.
const maxNameBytes = 63

// checkName makes a valid check name of s: invalid characters become '-', the
// ends are trimmed to a letter or digit, the length is cut to 63. An empty
// result becomes fallback.
func checkName(s, fallback string) string {
	n := invalidNameChars.ReplaceAllString(s, "-")
	n = strings.Trim(n, "-_.")
	if len(n) > maxNameBytes {
		n = strings.TrimRight(n[:maxNameBytes], "-_.")
	}
	if n == "" {
		return fallback
	}
	return n
}

// withSuffix appends suffix to name, cutting name so the result stays a valid
// check name.
func withSuffix(name, suffix string) string {
	if len(name)+len(suffix) > maxNameBytes {
		name = strings.TrimRight(name[:maxNameBytes-len(suffix)], "-_.")
	}
	return name + suffix
}

// duration formats d for a check as people write it: "30s", "1m30s", "2m",
// "1h"; "" for 0.
func duration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// timing sets the interval and timeout of c, keeping the timeout shorter than
// the interval as meshprobe requires: a timeout at or over the interval is
// dropped (meshprobe's default applies, 80% of the interval at most) with a
// warning naming field.
func timing(c *check, interval, timeout time.Duration, source, field string, w *warnings) {
	c.Interval = duration(interval)
	if timeout <= 0 {
		return
	}
	if interval > 0 && timeout >= interval {
		w.add(source, field, "timeout %s is not shorter than the interval %s, as meshprobe requires: left to meshprobe's default (the smaller of 5s and 80%% of the interval)", timeout, interval)
		return
	}
	c.Timeout = duration(timeout)
}

// clampRetries returns n within meshprobe's retries range, warning when it
// changed.
func clampRetries(n int, source, field string, w *warnings) int {
	switch {
	case n < 0:
		w.add(source, field, "%d retries: set to 0", n)
		return 0
	case n > spec.MaxRetries:
		w.add(source, field, "%d retries: meshprobe allows at most %d, set to %d", n, spec.MaxRetries, spec.MaxRetries)
		return spec.MaxRetries
	}
	return n
}

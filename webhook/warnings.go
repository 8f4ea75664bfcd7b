package webhook

import (
	"strings"
	"unicode"

	corev1 "k8s.io/api/core/v1"

	"github.com/meshprobe/meshprobe/checks/spec"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// maxWarningRunes keeps one warning under the apiserver's per-warning truncation.
const maxWarningRunes = 240

// checksProblems returns what is wrong with the pod's meshprobe.io/checks
// annotation, one entry per problem, as the sidecar's own parser reports them
// (each naming the check and the field); nil when it is absent or valid.
func checksProblems(pod *corev1.Pod) []string {
	data, ok := pod.Annotations[contract.AnnotationChecks]
	if !ok {
		return nil
	}
	_, err := spec.Parse([]byte(data))
	if err == nil {
		return nil
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	problems := make([]string, 0, len(errs))
	for _, e := range errs {
		problems = append(problems, e.Error())
	}
	return problems
}

// warnings turns the problems of an annotation into admission warnings: one
// line each, printable, and short enough that the apiserver passes them on whole.
func warnings(annotation string, problems []string) []string {
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		out = append(out, sanitizeWarning("meshprobe: invalid "+annotation+" annotation: "+p))
	}
	return out
}

// joinProblems is the message of a denial: every problem of both annotations.
func joinProblems(sidecar, checks []string) string {
	var parts []string
	if len(sidecar) > 0 {
		parts = append(parts, "invalid "+contract.AnnotationSidecar+" annotation: "+strings.Join(sidecar, "; "))
	}
	if len(checks) > 0 {
		parts = append(parts, "invalid "+contract.AnnotationChecks+" annotation: "+strings.Join(checks, "; "))
	}
	return sanitizeWarning(strings.Join(parts, "; "))
}

func sanitizeWarning(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	if r := []rune(s); len(r) > maxWarningRunes {
		s = string(r[:maxWarningRunes-3]) + "..."
	}
	return s
}

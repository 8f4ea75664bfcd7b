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

// warnings turns checks problems into admission warnings: one line each,
// printable, and short enough that the apiserver passes them on whole.
func warnings(problems []string) []string {
	out := make([]string, 0, len(problems))
	for _, p := range problems {
		out = append(out, sanitizeWarning("meshprobe: invalid "+contract.AnnotationChecks+" annotation: "+p))
	}
	return out
}

func joinProblems(problems []string) string {
	return sanitizeWarning("invalid " + contract.AnnotationChecks + " annotation: " + strings.Join(problems, "; "))
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

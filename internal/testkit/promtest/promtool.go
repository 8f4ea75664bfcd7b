package promtest

import (
	"bytes"
	"os/exec"
	"testing"
)

// CheckRules runs `promtool check rules` on a rule file (a plain `groups:` document) and
// fails t with promtool's output when it reports a problem.
func CheckRules(t testing.TB, ruleFile string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), Binary(t, "promtool"), "check", "rules", ruleFile).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules %s: %v\n%s", ruleFile, err, out)
	}
}

// CheckMetrics runs `promtool check metrics` on a text exposition and fails t when
// promtool reports an error or a lint problem (names, units, help texts, counters).
func CheckMetrics(t testing.TB, name string, exposition []byte) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), Binary(t, "promtool"), "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics on %s: %v\n%s", name, err, out)
	}
}

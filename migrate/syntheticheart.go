package migrate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// syntheticTestKind is the kind of synthetic-heart's CRD
// (cisco-open/synthetic-heart controller/api/v1/synthetictest_types.go).
const syntheticTestKind = "SyntheticTest"

// syntheticHeartTool names the tool in ConfigMap names.
const syntheticHeartTool = "synthetic-heart"

// syntheticTest is the part of a SyntheticTest that is converted.
type syntheticTest struct {
	Spec json.RawMessage `json:"spec"`
}

// syntheticTestSpec is SyntheticTestSpec.
type syntheticTestSpec struct {
	Plugin              string            `json:"plugin"`
	Node                string            `json:"node"`
	PodLabelSelector    map[string]string `json:"podLabelSelector"`
	DisplayName         string            `json:"displayName"`
	Description         string            `json:"description"`
	Importance          string            `json:"importance"`
	Repeat              string            `json:"repeat"`
	DependsOn           []string          `json:"dependsOn"`
	Timeouts            *synTimeouts      `json:"timeouts"`
	PluginRestartPolicy string            `json:"pluginRestartPolicy"`
	LogWaitTime         string            `json:"logWaitTime"`
	Config              string            `json:"config"`
}

// synTimeouts is Timeouts of a SyntheticTestSpec.
type synTimeouts struct {
	Init   string `json:"init"`
	Run    string `json:"run"`
	Finish string `json:"finish"`
}

// Labels a converted synthetic-heart check carries: synthetic-heart labelled
// its syntheticheart_* series with the test's name and namespace.
const (
	labelTestName      = "test_name"
	labelTestNamespace = "test_namespace"
	labelImportance    = "importance"
)

// synTest is a SyntheticTest being converted.
type synTest struct {
	obj      object
	spec     syntheticTestSpec
	interval time.Duration
	timeout  time.Duration
	w        *warnings
}

// convertSyntheticHeart converts SyntheticTest objects to one cluster-check
// ConfigMap each.
func convertSyntheticHeart(data []byte, opts Options) (Result, error) {
	objs, err := kubernetesObjects(data)
	if err != nil {
		return Result{}, err
	}
	var w warnings
	var out output
	header := []string{
		fmt.Sprintf("meshprobe convert --from synthetic-heart -f %s", opts.SourceName),
		"Cluster checks for meshprobe's node agents, one ConfigMap per SyntheticTest.",
		"Apply with: kubectl apply -f <this file>. See docs/migration/synthetic-heart.md.",
	}
	if err := out.add(header, nil); err != nil {
		return Result{}, err
	}
	all := checkList{}
	names := map[string]bool{}
	for _, o := range objs {
		if o.kind != syntheticTestKind {
			w.add(o.id(), "kind", "skipped: not a %s", syntheticTestKind)
			continue
		}
		t, err := newSynTest(o, &w)
		if err != nil {
			return Result{}, err
		}
		checks, err := t.checks(&all)
		if err != nil {
			return Result{}, err
		}
		if len(checks) == 0 {
			continue
		}
		name := uniqueObjectName(names, syntheticHeartTool, o.name)
		comment := []string{fmt.Sprintf("%s (plugin %s)", o.id(), t.spec.Plugin)}
		if err := out.addChecksConfigMap(comment, name, opts.Namespace, checks); err != nil {
			return Result{}, err
		}
	}
	return Result{YAML: out.bytes(), Warnings: w.list}, nil
}

// newSynTest decodes a SyntheticTest and its timing.
func newSynTest(o object, w *warnings) (*synTest, error) {
	var st syntheticTest
	if err := json.Unmarshal(o.raw, &st); err != nil {
		return nil, o.errorf("spec", "want a mapping, got %s", jsonKind(st.Spec))
	}
	t := &synTest{obj: o, w: w}
	if len(st.Spec) == 0 {
		return nil, o.errorf("spec", "required")
	}
	if err := decodeKnown(st.Spec, &t.spec, o, "spec", w); err != nil {
		return nil, err
	}
	if t.spec.Plugin == "" {
		return nil, o.errorf("spec.plugin", "required")
	}
	var err error
	if t.interval, err = goDuration(o, "spec.repeat", t.spec.Repeat, true); err != nil {
		return nil, err
	}
	if t.spec.Timeouts != nil {
		if t.timeout, err = goDuration(o, "spec.timeouts.run", t.spec.Timeouts.Run, false); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// goDuration parses a Go duration field of o.
func goDuration(o object, field, s string, required bool) (time.Duration, error) {
	if s == "" {
		if required {
			return 0, o.errorf(field, "required: a duration such as 2m")
		}
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, o.errorf(field, "invalid duration %q: want a duration such as 2m", s)
	}
	return d, nil
}

// checks converts the test to its checks (none when it is skipped), adding
// them to all so that names stay unique across tests.
func (t *synTest) checks(all *checkList) ([]check, error) {
	id := t.obj.id()
	if len(t.spec.PodLabelSelector) > 0 {
		t.w.add(id, "spec.podLabelSelector", "skipped: the test runs in the agents of selected pods; meshprobe runs such checks in the pods' own sidecars: put them in the pods' meshprobe.io/checks annotation (docs/migration/synthetic-heart.md)")
		return nil, nil
	}
	t.ignored()
	targets, err := t.targets()
	if err != nil || len(targets) == 0 {
		return nil, err
	}
	first := len(all.checks)
	for i, c := range targets {
		t.describe(&c, i, len(targets))
		all.add(c, id, t.w)
	}
	return all.checks[first:], nil
}

// ignored warns about the fields that have no meshprobe equivalent.
func (t *synTest) ignored() {
	id, s := t.obj.id(), t.spec
	if len(s.DependsOn) > 0 {
		t.w.add(id, "spec.dependsOn", "ignored: meshprobe's checks run independently")
	}
	if s.PluginRestartPolicy != "" {
		t.w.add(id, "spec.pluginRestartPolicy", "ignored: meshprobe's checks are not plugins")
	}
	if s.LogWaitTime != "" {
		t.w.add(id, "spec.logWaitTime", "ignored: a check's last error is in the sidecar's /api/v1/checks")
	}
	if s.Timeouts != nil && (s.Timeouts.Init != "" || s.Timeouts.Finish != "") {
		t.w.add(id, "spec.timeouts", "init and finish ignored: meshprobe's checks have one timeout, from timeouts.run")
	}
}

// describe sets the common fields of the i-th of n checks of the test.
func (t *synTest) describe(c *check, i, n int) {
	id, s := t.obj.id(), t.spec
	base := checkName(t.obj.name, "test")
	c.Name = base
	if n > 1 {
		c.Name = withSuffix(base, "-"+strconv.Itoa(i+1))
	}
	oneLine := strings.Join(strings.Fields(s.DisplayName), " ")
	c.DisplayName = cutText(oneLine, spec.MaxDisplayNameBytes, id, "spec.displayName", t.w)
	c.Description = cutText(strings.TrimSpace(s.Description), spec.MaxDescriptionBytes, id, "spec.description", t.w)
	c.Labels = map[string]string{labelTestName: t.obj.name}
	if t.obj.namespace != "" {
		c.Labels[labelTestNamespace] = t.obj.namespace
	}
	if s.Importance != "" {
		c.Labels[labelImportance] = s.Importance
	}
	if s.Node != "" && s.Node != string(spec.RunOnAll) {
		c.RunOn = s.Node
	}
	timeout := t.timeout
	if c.Timeout != "" { // a per-target timeout (netDial)
		timeout, _ = time.ParseDuration(c.Timeout)
	}
	timing(c, t.interval, timeout, id, "spec.timeouts.run", t.w)
}

// cutText cuts s to limit bytes at a character boundary, warning when it did.
func cutText(s string, limit int, id, field string, w *warnings) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	w.add(id, field, "cut to meshprobe's limit of %d bytes", limit)
	return s[:cut]
}

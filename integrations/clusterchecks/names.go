package clusterchecks

// The names users and the agents see (docs/contract.md lists them).
const (
	// LabelSource, with the value "true", marks a ConfigMap in the control
	// plane's namespace whose data keys each hold a list of checks.
	LabelSource = "meshprobe.io/checks"
	// LabelSourceValue is LabelSource's value on a source ConfigMap.
	LabelSourceValue = "true"
	// ConfigMapName is the ConfigMap the leader maintains in its namespace: the
	// union of the valid sources' checks. The agents mount it.
	ConfigMapName = "meshprobe-cluster-checks"
	// Key is ConfigMapName's one data key.
	Key = "checks.yaml"
	// AnnotationSources on ConfigMapName lists the sources it holds the checks
	// of, as comma-separated <configmap>/<key>.
	AnnotationSources = "meshprobe.io/cluster-checks-sources"
	// TaskName is the leader task's name.
	TaskName = "cluster-checks"
	// eventComponent is the source of the task's Events.
	eventComponent = "meshprobe-cluster-checks"
)

// State is what the aggregation made of one source (one data key of a source
// ConfigMap): the label of meshprobe_cluster_checks_sources.
type State string

// The states. Every state but StateValid skips the source: none of its checks
// is delivered, and a Warning Event says why.
const (
	// StateValid sources are delivered, every check of them.
	StateValid State = "valid"
	// StateInvalid sources fail spec.Parse, are larger than the annotation limit,
	// or are binaryData.
	StateInvalid State = "invalid"
	// StateDuplicate sources define a check name that a source before them (by
	// ConfigMap name, then key) already delivers.
	StateDuplicate State = "duplicate"
	// StateOverBudget sources would take the aggregate over spec.MaxAnnotationBytes
	// or spec.MaxChecks.
	StateOverBudget State = "over_budget"
)

// States are the states, in the order of the list above.
func States() []State { return []State{StateValid, StateInvalid, StateDuplicate, StateOverBudget} }

// Reason is the reason of the Warning Event a skipped source gets.
func (s State) Reason() string {
	switch s {
	case StateInvalid:
		return "ClusterChecksInvalid"
	case StateDuplicate:
		return "ClusterChecksDuplicate"
	case StateOverBudget:
		return "ClusterChecksOverBudget"
	}
	return ""
}

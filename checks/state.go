package checks

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/meshprobe/meshprobe/checks/spec"
)

// The results of a run, the values of the result label.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	ResultTimeout = "timeout"
)

// results lists the result label values, pre-initialised on every check.
var results = [...]string{ResultSuccess, ResultFailure, ResultTimeout}

// The lastResult values of a check that has no result of its own yet.
const (
	// StatePending: the check has not run yet.
	StatePending = "pending"
	// StateStandby: another member is elected to run the check (runOn: one,
	// $, prefix$, glob$), or this one is leaving the mesh.
	StateStandby = "standby"
)

// Status is the state of one check as /api/v1/checks reports it.
type Status struct {
	Name string `json:"name"`
	// DisplayName, Description and Labels are the check's, as declared.
	DisplayName string            `json:"displayName,omitempty"`
	Description string            `json:"description,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Type        spec.Type         `json:"type"`
	RunOn       spec.RunOn        `json:"runOn"`
	Interval    spec.Duration     `json:"interval"`
	Timeout     spec.Duration     `json:"timeout"`
	// Runner is the member elected to run a check that one member runs.
	Runner string `json:"runner,omitempty"`
	// LastResult is success, failure, timeout, pending, standby or unscheduled.
	LastResult string `json:"lastResult"`
	// Reason says why the check does not run here (standby, unscheduled), like
	// "not scheduled here: node infra-1 does not match worker*".
	Reason string `json:"reason,omitempty"`
	// Error says why the last run failed.
	Error string `json:"error,omitempty"`
	// DurationSeconds is how long the last run took, all attempts together.
	DurationSeconds float64 `json:"durationSeconds"`
	// Attempts is how many attempts the last run made.
	Attempts    int        `json:"attempts,omitempty"`
	LastRun     *time.Time `json:"lastRun,omitempty"`
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
	// ConsecutiveFailures counts the runs here that failed or timed out since
	// the last success (or since the check was loaded).
	ConsecutiveFailures int `json:"consecutiveFailures,omitempty"`
	// HTTPStatus is the status code of the last http response.
	HTTPStatus int `json:"httpStatus,omitempty"`
	// CertExpiry is when the earliest certificate the target served expires.
	CertExpiry *time.Time `json:"certExpiry,omitempty"`
}

// runRecord is the outcome of one run.
type runRecord struct {
	start    time.Time
	duration time.Duration
	result   string
	err      error
	attempts int
	obs      observation
}

// checkState holds one check's status and metric values. Runs write it; the
// collector and the API read it.
type checkState struct {
	mu       sync.Mutex
	status   Status
	runs     map[string]uint64
	codes    map[int]uint64
	buckets  []uint64 // per bucket of durationBuckets, not cumulative
	durSum   float64
	durCount uint64
}

// newCheckState returns the state of a check that has not run.
func newCheckState(s spec.Check) *checkState {
	st := &checkState{
		status: Status{Name: s.Name, DisplayName: s.DisplayName, Description: s.Description, Labels: s.Labels,
			Type: s.Type, RunOn: s.RunOn, Interval: s.Interval, Timeout: s.Timeout, LastResult: StatePending},
		runs:    make(map[string]uint64, len(results)),
		codes:   map[int]uint64{},
		buckets: make([]uint64, len(durationBuckets)),
	}
	for _, r := range results {
		st.runs[r] = 0
	}
	return st
}

// record stores the outcome of a run.
func (c *checkState) record(r runRecord, runner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &c.status
	start := r.start
	st.Runner, st.LastResult, st.LastRun, st.Reason = runner, r.result, &start, ""
	st.DurationSeconds, st.Attempts, st.Error = r.duration.Seconds(), r.attempts, ""
	if r.err != nil {
		st.Error = r.err.Error()
	}
	if r.result == ResultSuccess {
		st.LastSuccess, st.ConsecutiveFailures = &start, 0
	} else {
		st.ConsecutiveFailures++
	}
	st.HTTPStatus = r.obs.httpStatus
	if r.obs.httpStatus != 0 {
		c.codes[r.obs.httpStatus]++
	}
	if !r.obs.certExpiry.IsZero() {
		exp := r.obs.certExpiry
		st.CertExpiry = &exp
	}
	c.runs[r.result]++
	c.observe(r.duration.Seconds())
}

// observe adds a duration to the histogram.
func (c *checkState) observe(v float64) {
	for i, upper := range durationBuckets {
		if v <= upper {
			c.buckets[i]++
			break
		}
	}
	c.durSum += v
	c.durCount++
}

// notHere records that the check does not run on this member, and why.
func (c *checkState) notHere(d decision) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status.Runner, c.status.LastResult, c.status.Reason, c.status.Error = d.runner, d.state, d.reason, ""
}

// snapshot returns a copy of the status.
func (c *checkState) snapshot() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

// durationBuckets are the upper bounds of meshprobe_check_duration_seconds.
var durationBuckets = prometheus.DefBuckets

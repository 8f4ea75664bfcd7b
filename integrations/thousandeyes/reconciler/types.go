package reconciler

import (
	"context"
	"errors"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/config"
)

// API is the part of the ThousandEyes client the reconciler uses; *client.Client
// implements it. Implementations must be safe for use by one pass at a time.
type API interface {
	ListHTTPServerTests(ctx context.Context) ([]client.HTTPServerTest, error)
	CreateHTTPServerTest(ctx context.Context, req *client.HTTPServerTestRequest) (*client.HTTPServerTest, error)
	UpdateHTTPServerTest(ctx context.Context, id string, req *client.HTTPServerTestRequest) (*client.HTTPServerTest, error)
	DeleteHTTPServerTest(ctx context.Context, id string) error
	ListAgents(ctx context.Context) ([]client.Agent, error)
	ListAlertRules(ctx context.Context) ([]client.AlertRule, error)
}

// Source is one ConfigMap's declaration as the pass sees it.
type Source struct {
	Namespace, Name string
	// File is the parsed config.yaml. For a Deleted source it is the last version
	// seen (its prune and dryRun still apply), or nil when unknown.
	File *config.File
	// Err is set when config.yaml is invalid: the source's tests are left alone
	// (never pruned) until it is fixed.
	Err error
	// Deleted is set when the ConfigMap is gone (or lost its label).
	Deleted bool
}

// Key is "<namespace>/<name>".
func (s Source) Key() string { return s.Namespace + "/" + s.Name }

// Op is what a pass does to one test.
type Op string

// The operations a pass performs.
const (
	OpCreate Op = "create"
	OpUpdate Op = "update"
	OpDelete Op = "delete"
	OpAdopt  Op = "adopt"
)

// Action is one planned or performed write.
type Action struct {
	Op       Op
	TestName string
	// TestID is the ThousandEyes testId (for a create, once created).
	TestID string
	// Reason says why: "new", "declaration changed", "drift: interval", "no longer declared"...
	Reason string
	// DryRun is set when the ConfigMap asked for a dry run: nothing was written.
	DryRun bool
	// Err is the API error, if the write failed.
	Err error

	req *client.HTTPServerTestRequest
}

// SourceResult is what a pass did for one ConfigMap.
type SourceResult struct {
	Namespace, Name string
	// Declared is the number of tests config.yaml declares.
	Declared int
	// Unchanged is the number of declared tests that needed no write.
	Unchanged int
	// DryRun mirrors the ConfigMap's dryRun.
	DryRun bool
	// Deleted is set for a ConfigMap that is gone.
	Deleted bool
	// Invalid is set when config.yaml could not be parsed; Errs says why.
	Invalid bool
	// Errs are errors that are not a write: invalid config, unresolvable agent or
	// rule names, name conflicts. Each names the test and the field.
	Errs    []error
	Actions []*Action
}

// Err joins Errs and every failed action's error, or returns nil.
func (r *SourceResult) Err() error {
	errs := append([]error(nil), r.Errs...)
	for _, a := range r.Actions {
		if a.Err != nil {
			errs = append(errs, a.Err)
		}
	}
	return errors.Join(errs...)
}

// Result is what one pass did.
type Result struct {
	// ListErr is set when the list call failed; the pass then wrote nothing.
	ListErr error
	// Sources holds a result per ConfigMap key, including deleted ones and the
	// unknown owners of orphaned tests.
	Sources map[string]*SourceResult
	// Managed is the number of tests carrying a meshprobe marker after the pass.
	Managed int
}

// Err summarises the pass: the list error, or every source's error.
func (r Result) Err() error {
	if r.ListErr != nil {
		return r.ListErr
	}
	var errs []error
	for _, s := range r.Sources {
		if err := s.Err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

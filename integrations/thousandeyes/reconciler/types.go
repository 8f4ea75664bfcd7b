package reconciler

import (
	"context"
	"errors"
	"time"

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
	// Ignored, when set, says why the ConfigMap is not synced (for example its
	// namespace is not opted in). Its declarations claim no name and cause no
	// write, and its tests are left alone: never updated, never pruned.
	Ignored string
	// Created is the ConfigMap's creation time. When several ConfigMaps declare
	// a name no test has yet, the oldest gets it (ties: the lower key).
	Created time.Time
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
	// Ignored mirrors the Source's Ignored: nothing was planned for it.
	Ignored string
	// Conflicts are declared tests refused because the name belongs to someone
	// else. They are not errors (Err leaves them out): a retry cannot fix them.
	Conflicts []Conflict
	// Errs are errors that are not a write: invalid config, unresolvable agent or
	// rule names, name conflicts. Each names the test and the field.
	Errs    []error
	Actions []*Action
}

// Holders of a name that a declaration cannot have.
const (
	// HolderConfigMap is another ConfigMap of this install, which created the
	// test first (its marker says so) or, before any test exists, is older.
	HolderConfigMap = "configmap"
	// HolderInstall is another meshprobe install (its marker's install differs).
	HolderInstall = "install"
	// HolderUnmanaged is a test without a usable marker: made by hand, or a copy
	// of a managed test (cloned or renamed in the UI).
	HolderUnmanaged = "unmanaged"
)

// Holders lists every holder kind, for metrics.
var Holders = []string{HolderConfigMap, HolderInstall, HolderUnmanaged}

// Conflict is a declared test that was refused because its name is held.
type Conflict struct {
	TestName string
	// Holder is one of HolderConfigMap, HolderInstall and HolderUnmanaged.
	Holder string
	// Err names the test, the field and who holds the name.
	Err error
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

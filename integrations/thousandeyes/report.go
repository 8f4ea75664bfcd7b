package thousandeyes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/reconciler"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// EventComponent is the source component of the Events the sync records.
const EventComponent = "meshprobe-thousandeyes"

// Event reasons.
const (
	ReasonCreated       = "TestCreated"
	ReasonUpdated       = "TestUpdated"
	ReasonDeleted       = "TestDeleted"
	ReasonAdopted       = "TestAdopted"
	ReasonDryRun        = "DryRun"
	ReasonInvalidConfig = "InvalidConfig"
	ReasonSyncFailed    = "SyncFailed"
	ReasonNameConflict  = "NameConflict"
)

// Values of SyncStatus.Status.
const (
	StatusSynced   = "Synced"
	StatusDryRun   = "DryRun"
	StatusError    = "Error"
	StatusConflict = "Conflict"
	StatusIgnored  = "Ignored"
)

// SyncStatus is the JSON of the meshprobe.io/thousandeyes-sync annotation.
type SyncStatus struct {
	// Status is "Synced", "DryRun", "Error", "Conflict" (a test name belongs to
	// someone else; the others synced) or "Ignored" (the namespace is not opted in).
	Status    string `json:"status"`
	Tests     int    `json:"tests"`
	Unchanged int    `json:"unchanged"`
	Created   int    `json:"created,omitempty"`
	Updated   int    `json:"updated,omitempty"`
	Deleted   int    `json:"deleted,omitempty"`
	Message   string `json:"message,omitempty"`
	// Time is when this status was first reached; the annotation is written only
	// when the rest of the status changes.
	Time string `json:"time"`
}

var opEvents = map[reconciler.Op]struct{ reason, verb string }{
	reconciler.OpCreate: {ReasonCreated, "created"},
	reconciler.OpUpdate: {ReasonUpdated, "updated"},
	reconciler.OpDelete: {ReasonDeleted, "deleted"},
	reconciler.OpAdopt:  {ReasonAdopted, "adopted"},
}

// report records Events and annotations for a pass's results.
func (rt *runtime) report(ctx context.Context, res reconciler.Result, objs map[string]*corev1.ConfigMap) {
	defer rt.forget(res)
	for k, cm := range objs {
		var st SyncStatus
		if res.ListErr != nil {
			st = SyncStatus{Status: StatusError, Message: res.ListErr.Error()}
		} else if src, ok := res.Sources[k]; ok && src.Ignored != "" {
			st = SyncStatus{Status: StatusIgnored, Message: ignoredMessage(cm.Namespace)}
		} else if ok {
			st = rt.events(cm, src)
		}
		rt.annotate(ctx, cm, st)
	}
	for k, src := range res.Sources {
		if src.Deleted {
			for _, a := range src.Actions {
				rt.c.log.Info("ThousandEyes test of a deleted ConfigMap", "configmap", k, "op", a.Op, "test", a.TestName, "dryRun", a.DryRun, "err", a.Err)
			}
		}
	}
}

// events records one Event per write and per error of src, and returns its status.
func (rt *runtime) events(cm *corev1.ConfigMap, src *reconciler.SourceResult) SyncStatus {
	st := SyncStatus{Status: StatusSynced, Tests: src.Declared, Unchanged: src.Unchanged}
	if src.DryRun {
		st.Status = StatusDryRun
	}
	for _, a := range src.Actions {
		rt.actionEvent(cm, a, &st)
	}
	for _, err := range src.Errs {
		reason := ReasonSyncFailed
		if src.Invalid {
			reason = ReasonInvalidConfig
		}
		rt.recorder.Event(cm, corev1.EventTypeWarning, reason, truncate(err.Error(), 1000))
	}
	var conflicts []error
	for _, c := range src.Conflicts {
		rt.recorder.Event(cm, corev1.EventTypeWarning, ReasonNameConflict, truncate(c.Err.Error(), 1000))
		conflicts = append(conflicts, c.Err)
	}
	if len(conflicts) > 0 {
		st.Status, st.Message = StatusConflict, truncate(errors.Join(conflicts...).Error(), 1000)
	}
	if err := src.Err(); err != nil {
		st.Status, st.Message = StatusError, truncate(err.Error(), 1000)
	}
	return st
}

func (rt *runtime) actionEvent(cm *corev1.ConfigMap, a *reconciler.Action, st *SyncStatus) {
	what := fmt.Sprintf("ThousandEyes test %q", a.TestName)
	if a.TestID != "" {
		what += " (id " + a.TestID + ")"
	}
	switch {
	case a.DryRun:
		rt.recorder.Eventf(cm, corev1.EventTypeNormal, ReasonDryRun, "dry run: would %s %s: %s", a.Op, what, a.Reason)
		return
	case a.Err != nil:
		rt.recorder.Eventf(cm, corev1.EventTypeWarning, ReasonSyncFailed, "%s %s failed: %s", a.Op, what, truncate(a.Err.Error(), 800))
		return
	}
	done := opEvents[a.Op]
	rt.recorder.Eventf(cm, corev1.EventTypeNormal, done.reason, "%s %s: %s", what, done.verb, a.Reason)
	switch a.Op {
	case reconciler.OpCreate:
		st.Created++
	case reconciler.OpUpdate, reconciler.OpAdopt:
		st.Updated++
	case reconciler.OpDelete:
		st.Deleted++
	}
}

// annotate writes the status annotation when it differs from the last one.
func (rt *runtime) annotate(ctx context.Context, cm *corev1.ConfigMap, st SyncStatus) {
	k := key(cm)
	st.Time = ""
	body, _ := json.Marshal(st)
	rt.mu.Lock()
	same := rt.reported[k] == string(body)
	rt.mu.Unlock()
	if same {
		return
	}
	st.Time = time.Now().UTC().Format(time.RFC3339)
	value, _ := json.Marshal(st)
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		contract.AnnotationThousandEyesSync: string(value)}}})
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := rt.c.kube.CoreV1().ConfigMaps(cm.Namespace).Patch(wctx, cm.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: EventComponent}); err != nil {
		rt.c.log.Warn("writing ThousandEyes sync annotation", "configmap", k, "err", err)
		return
	}
	rt.mu.Lock()
	rt.reported[k] = string(body)
	rt.mu.Unlock()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

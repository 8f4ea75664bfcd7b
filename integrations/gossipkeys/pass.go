package gossipkeys

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// pass brings the source Secret, the copies and a rotation one step forward.
func (rt *runtime) pass(ctx context.Context) error {
	src, err := rt.secrets.Secrets(rt.c.cfg.Namespace).Get(contract.GossipKeySecretName)
	if apierrors.IsNotFound(err) {
		return rt.createSource(ctx)
	}
	if err != nil {
		return fmt.Errorf("gossipkeys: reading the source Secret: %w", err)
	}
	if src.ResourceVersion == rt.replaced {
		return nil // the cache has not caught up with our last write; its event kicks the next pass
	}
	keys, err := secretKeys(src)
	if err != nil {
		rt.rotating = false
		rt.reportInvalid(src, err)
		return nil // nothing to retry until someone fixes the Secret
	}
	meshNS, inSync, err := rt.distribute(ctx, src, keys)
	if err != nil {
		return err
	}
	return rt.rotate(ctx, src, keys, inSync, meshNS)
}

// createSource creates the source Secret with a fresh key.
func (rt *runtime) createSource(ctx context.Context) error {
	key, err := newKey(rt.c.cfg.Rand)
	if err != nil {
		return err
	}
	keys, now := gossip.Keys{key}, rt.c.cfg.Clock.Now()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: contract.GossipKeySecretName, Namespace: rt.c.cfg.Namespace,
			Labels:      map[string]string{contract.LabelManagedBy: contract.ManagedBy},
			Annotations: map[string]string{},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{contract.GossipKeySecretKey: encodeKeys(keys)},
	}
	state{Phase: PhaseStable, PhaseSince: now, PrimarySince: now}.write(s.Annotations, keys)
	created, err := rt.c.kube.CoreV1().Secrets(s.Namespace).Create(ctx, s, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil // the cache lags; the informer brings it
	}
	if err != nil {
		return fmt.Errorf("gossipkeys: creating the source Secret: %w", err)
	}
	rt.log.Info("gossipkeys: created the gossip key", "secret", s.Namespace+"/"+s.Name, "primaryKey", gossip.Fingerprint(key))
	rt.recorder.Eventf(created, corev1.EventTypeNormal, ReasonKeyCreated, "created gossip key %s", gossip.Fingerprint(key))
	return nil
}

// reportInvalid says once per version of the Secret that it cannot be used.
func (rt *runtime) reportInvalid(src *corev1.Secret, err error) {
	if rt.invalidRV == src.ResourceVersion {
		return
	}
	rt.invalidRV = src.ResourceVersion
	rt.log.Error("gossipkeys: the source Secret holds no usable key; copies and rotation wait until it is fixed", "err", err)
	rt.recorder.Eventf(src, corev1.EventTypeWarning, ReasonInvalidKey,
		"%v; copies are left as they are and no rotation runs until it is fixed (or delete the Secret to generate a new key)", err)
}

// rotate takes one rotation step when its conditions hold. meshNS are the
// namespaces that get the key: only their pods are waited for.
func (rt *runtime) rotate(ctx context.Context, src *corev1.Secret, keys gossip.Keys, inSync bool, meshNS map[string]bool) error {
	st := readState(src)
	rt.rotating = st.Phase != PhaseStable
	in := input{
		now: rt.c.cfg.Clock.Now(), rotateEvery: rt.c.cfg.RotateEvery, stepTimeout: rt.c.cfg.StepTimeout,
		request: src.Annotations[contract.AnnotationRotateKey], inSync: inSync, hold: rt.hold(),
		gate: rt.gate(meshNS), rand: rt.c.cfg.Rand,
	}
	p, blockers, err := decide(keys, st, in)
	if err != nil {
		return err
	}
	if p == nil {
		rt.reportWaiting(src, st, blockers)
		return nil
	}
	next := src.DeepCopy()
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Data[contract.GossipKeySecretKey] = encodeKeys(p.keys)
	p.state.write(next.Annotations, p.keys)
	written, err := rt.c.kube.CoreV1().Secrets(next.Namespace).Update(ctx, next, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) {
		return nil // a newer version is on its way through the informer
	}
	if err != nil {
		return fmt.Errorf("gossipkeys: updating the source Secret (%s): %w", p.state.Phase, err)
	}
	rt.replaced = src.ResourceVersion
	rt.rotating, rt.blockers, rt.lastReported = p.state.Phase != PhaseStable, "", time.Time{}
	if p.reason != "" {
		rt.log.Info("gossipkeys: "+p.message, "phase", p.state.Phase, "keys", p.keys.Fingerprints())
		rt.recorder.Event(written, corev1.EventTypeNormal, p.reason, p.message)
	}
	rt.reportOverdue(written, st, p.overdue)
	return nil
}

// reportOverdue says, in a warning and an Event, which members a step
// proceeded without because its wait reached StepTimeout.
func (rt *runtime) reportOverdue(src *corev1.Secret, from state, overdue []string) {
	if len(overdue) == 0 {
		return
	}
	msg, waited := summarize(overdue), rt.c.cfg.Clock.Since(from.PhaseSince).Round(time.Second)
	rt.log.Warn("gossipkeys: rotation step proceeded without members that did not follow", "phase", from.Phase,
		"newKey", from.Next, "waited", waited, "stepTimeout", rt.c.cfg.StepTimeout, "notFollowing", msg)
	rt.recorder.Eventf(src, corev1.EventTypeWarning, ReasonRotationTimeout,
		"key rotation (%s, key %s) waited %s, more than the step timeout %s, and proceeded without: %s; they are cut off from the mesh until they load the current key",
		from.Phase, from.Next, waited, rt.c.cfg.StepTimeout, msg)
}

// hold is what keeps a step waiting without bound: a leader whose own gossip
// member is not running sees nobody, so it cannot tell who follows.
func (rt *runtime) hold() []string {
	if st := rt.c.view.Status(); st.State != gossip.StatusRunning {
		return []string{"the leader's own gossip member, which is " + st.State + ": it cannot see who holds the key"}
	}
	return nil
}

// gate reads the leader's member view and the Ready injected pods in the
// namespaces that get the key (meshNS): a pod elsewhere has no key to announce.
func (rt *runtime) gate(meshNS map[string]bool) gate {
	return func(fp string, primary bool) []string {
		all, _ := rt.pods.List(labels.Everything())
		var ready []*corev1.Pod
		for _, p := range all {
			if isReady(p) && meshNS[p.Namespace] {
				ready = append(ready, p)
			}
		}
		return meshGate(rt.c.view, ready)(fp, primary)
	}
}

// reportWaiting logs (debug) who holds a rotation up when that changes, and says
// so in a warning and an Event once the phase has lasted ReportEvery, then every ReportEvery.
func (rt *runtime) reportWaiting(src *corev1.Secret, st state, blockers []string) {
	if st.Phase == PhaseStable || len(blockers) == 0 {
		return
	}
	msg := summarize(blockers)
	if msg != rt.blockers {
		rt.blockers = msg
		rt.log.Debug("gossipkeys: rotation waiting", "phase", st.Phase, "newKey", st.Next, "waitingFor", msg)
	}
	now, every := rt.c.cfg.Clock.Now(), rt.c.cfg.ReportEvery
	if now.Sub(st.PhaseSince) < every || now.Sub(rt.lastReported) < every {
		return
	}
	rt.lastReported = now
	rt.log.Warn("gossipkeys: rotation still waiting", "phase", st.Phase, "newKey", st.Next, "for", now.Sub(st.PhaseSince).Round(time.Second), "waitingFor", msg)
	rt.recorder.Eventf(src, corev1.EventTypeWarning, ReasonRotationWaiting,
		"key rotation (%s, key %s) has waited %s for: %s", st.Phase, st.Next, now.Sub(st.PhaseSince).Round(time.Second), msg)
}

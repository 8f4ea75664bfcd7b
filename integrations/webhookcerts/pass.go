package webhookcerts

import (
	"bytes"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/pki"
)

// minWait is the shortest time between two passes.
const minWait = 100 * time.Millisecond

// pass brings the CA, the webhook configuration's caBundle and the serving
// certificate one step forward, and returns when the next pass is due.
func (rt *runtime) pass(ctx context.Context) (time.Duration, error) {
	cfg, now := &rt.c.cfg, rt.c.cfg.Clock.Now()
	// Read from the API, not the informer's cache: acting on a cache that has not
	// yet seen the last write would mint a second CA and put it in the bundle.
	cur, err := rt.c.kube.CoreV1().Secrets(cfg.Namespace).Get(ctx, cfg.SecretName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		cur = nil
	case err != nil:
		return 0, fmt.Errorf("webhookcerts: reading the Secret: %w", err)
	}
	m := load(cur)
	var events [][2]string
	changed := m.dropExpired(now)
	if m.signing == nil || !now.Before(renewAt(m.signing.Cert, cfg.Backdate)) {
		ca, err := newCA(cfg.Rand, now, cfg.CAValidity, cfg.Backdate)
		if err != nil {
			return 0, err
		}
		m.cas, m.signing, changed = append(append(m.cas[:0:0], ca.Cert), m.cas...), &ca, true
		events = append(events, [2]string{ReasonCACreated, fmt.Sprintf("new CA %s (valid until %s); %d CA(s) trusted during the overlap",
			fingerprint(ca.Cert), ca.Cert.NotAfter.UTC().Format(time.RFC3339), len(m.cas))})
	}
	trusted, err := rt.ensureBundle(ctx, m.bundle())
	if err != nil {
		return 0, err
	}
	if fp := fingerprint(m.signing.Cert); trusted && m.trusted != fp {
		m.trusted, m.trustedSince, changed = fp, now, true
	}
	settleWait, issued, err := rt.renewLeaf(&m, now)
	if err != nil {
		return 0, err
	}
	if issued {
		changed = true
		events = append(events, [2]string{ReasonCertIssued, fmt.Sprintf("serving certificate %s signed by CA %s, valid until %s",
			fingerprint(m.leaf), fingerprint(m.signing.Cert), m.leaf.NotAfter.UTC().Format(time.RFC3339))})
	}
	if changed {
		if err := rt.write(ctx, cur, &m, events); err != nil {
			return 0, err
		}
	}
	return rt.nextWait(&m, now, settleWait), nil
}

// renewLeaf issues a serving certificate when the current one is due. A
// certificate from a new CA is issued only once the webhook configuration has
// trusted that CA for Settle, unless the current one cannot be served at all.
// It returns how long to wait for that, or whether it issued.
func (rt *runtime) renewLeaf(m *material, now time.Time) (time.Duration, bool, error) {
	cfg := &rt.c.cfg
	if m.leafCurrent(now, cfg.dnsNames(), cfg.ExtraIPs, cfg.Backdate) {
		return 0, false, nil
	}
	settledAt := m.trustedSince.Add(cfg.Settle)
	if m.leafUsable(now) && (m.trusted != fingerprint(m.signing.Cert) || now.Before(settledAt)) {
		if m.trusted != fingerprint(m.signing.Cert) {
			return cfg.Resync, false, nil
		}
		return settledAt.Sub(now), false, nil
	}
	leaf, err := newLeaf(cfg.Rand, *m.signing, cfg.dnsNames(), cfg.ExtraIPs, now, cfg.CertValidity, cfg.Backdate)
	if err != nil {
		return 0, false, err
	}
	keyPEMBytes, err := pki.KeyPEM(leaf.Key)
	if err != nil {
		return 0, false, err
	}
	m.leaf, m.leafPEM, m.leafKeyPEM = leaf.Cert, pki.CertPEM(leaf.Cert), keyPEMBytes
	return 0, true, nil
}

// ensureBundle makes every webhook of the configuration trust exactly bundle.
// It reports whether they do now; a missing configuration is reported once.
func (rt *runtime) ensureBundle(ctx context.Context, bundle []byte) (bool, error) {
	name := rt.c.cfg.WebhookConfigName
	cur, err := rt.c.kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if !rt.missing {
			rt.missing = true
			rt.log.Warn("webhookcerts: MutatingWebhookConfiguration not found; its caBundle is set once it exists", "name", name)
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("webhookcerts: reading the webhook configuration: %w", err)
	}
	rt.missing = false
	next, stale := cur.DeepCopy(), 0
	for i := range next.Webhooks {
		if !bytes.Equal(next.Webhooks[i].ClientConfig.CABundle, bundle) {
			next.Webhooks[i].ClientConfig.CABundle, stale = bundle, stale+1
		}
	}
	if stale == 0 {
		return true, nil
	}
	_, err = rt.c.kube.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, next, metav1.UpdateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return false, nil // the informer brings the new version and kicks a pass
	}
	if err != nil {
		return false, fmt.Errorf("webhookcerts: patching the caBundle of %s: %w", name, err)
	}
	cas := bytes.Count(bundle, []byte("BEGIN CERTIFICATE"))
	rt.log.Info("webhookcerts: patched the webhook configuration's caBundle", "name", name, "webhooks", stale, "cas", cas)
	rt.recorder.Eventf(cur, corev1.EventTypeNormal, ReasonBundlePatched, "caBundle of %d webhook(s) set to %d CA(s)", stale, cas)
	return true, nil
}

// write creates or updates the Secret with m and records the events.
func (rt *runtime) write(ctx context.Context, cur *corev1.Secret, m *material, events [][2]string) error {
	caKey, err := pki.KeyPEM(m.signing.Key)
	if err != nil {
		return err
	}
	next := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: rt.c.cfg.SecretName, Namespace: rt.c.cfg.Namespace,
		Labels: map[string]string{contract.LabelManagedBy: contract.ManagedBy}}, Type: corev1.SecretTypeTLS}
	if cur != nil {
		next = cur.DeepCopy()
	}
	if next.Annotations == nil {
		next.Annotations = map[string]string{}
	}
	next.Data = map[string][]byte{KeyCABundle: m.bundle(), KeyCAKey: caKey, KeyTLSCert: m.leafPEM, KeyTLSKey: m.leafKeyPEM}
	next.Annotations[AnnotationCATrusted] = m.trusted
	next.Annotations[AnnotationCATrustedSince] = m.trustedSince.UTC().Format(time.RFC3339)
	api := rt.c.kube.CoreV1().Secrets(next.Namespace)
	var written *corev1.Secret
	if cur == nil {
		written, err = api.Create(ctx, next, metav1.CreateOptions{})
	} else {
		written, err = api.Update(ctx, next, metav1.UpdateOptions{})
	}
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return nil // the informer brings the newer version and kicks a pass
	}
	if err != nil {
		return fmt.Errorf("webhookcerts: writing the Secret: %w", err)
	}
	for _, e := range events {
		rt.log.Info("webhookcerts: "+e[1], "reason", e[0])
		rt.recorder.Event(written, corev1.EventTypeNormal, e[0], e[1])
	}
	return nil
}

// nextWait is the time until the next certificate is due (a renewal, an old CA
// expiring, a new CA settling), at most Resync.
func (rt *runtime) nextWait(m *material, now time.Time, settle time.Duration) time.Duration {
	cfg := &rt.c.cfg
	due := []time.Time{renewAt(m.signing.Cert, cfg.Backdate)}
	if m.leaf != nil {
		due = append(due, renewAt(m.leaf, cfg.Backdate))
	}
	for _, ca := range m.cas {
		if !ca.Equal(m.signing.Cert) {
			due = append(due, ca.NotAfter.Add(time.Second))
		}
	}
	if settle > 0 {
		due = append(due, now.Add(settle))
	}
	wait := cfg.Resync
	for _, t := range due {
		wait = min(wait, max(t.Sub(now), minWait))
	}
	return wait
}

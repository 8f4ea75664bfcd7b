package kubelet

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
)

type tokenClient = kubernetes.Interface

// tokenCache keeps projected service-account tokens and renews each after 80% of
// its lifetime, like the kubelet's token manager.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedToken
}

type cachedToken struct {
	token          string
	issued, expiry time.Time
}

func newTokenCache() *tokenCache { return &tokenCache{m: map[string]cachedToken{}} }

func (t *tokenCache) get(ctx context.Context, c tokenClient, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection) (string, error) {
	key := string(pod.UID) + "/" + p.Path + "/" + p.Audience
	t.mu.Lock()
	ct, ok := t.m[key]
	t.mu.Unlock()
	now := time.Now()
	if ok && now.Before(ct.issued.Add(ct.expiry.Sub(ct.issued)*8/10)) {
		return ct.token, nil
	}
	tr, err := requestToken(ctx, c, pod, p)
	if err != nil {
		return "", err
	}
	t.mu.Lock()
	t.m[key] = cachedToken{token: tr.Status.Token, issued: now, expiry: tr.Status.ExpirationTimestamp.Time}
	t.mu.Unlock()
	return tr.Status.Token, nil
}

// forget drops the tokens of a deleted pod.
func (t *tokenCache) forget(uid string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key := range t.m {
		if len(key) > len(uid) && key[:len(uid)] == uid {
			delete(t.m, key)
		}
	}
}

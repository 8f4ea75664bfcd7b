package meshview

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	authnv1 "k8s.io/api/authentication/v1"
	authzv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/client-go/kubernetes"
)

// The virtual resource a user must be allowed to get to read the view: bind
// the user to the ClusterRole ClusterRoleName, which grants exactly this.
const (
	AuthGroup       = "meshprobe.io"
	AuthResource    = "meshview"
	AuthVerb        = "get"
	ClusterRoleName = "meshprobe-view"
)

// decision is the outcome of one token's review: status 0 when allowed, else
// 401 or 403 with a message for the client.
type decision struct {
	status  int
	user    string
	message string
}

// errReviewRate is returned when a review would exceed the review rate.
var errReviewRate = errors.New("too many token reviews at once")

// reviewer authenticates bearer tokens with a TokenReview and authorizes their
// user with a SubjectAccessReview, both answered by the Kubernetes API server.
// Decisions are cached by the token's SHA-256 for a short TTL; concurrent
// requests with the same token share one review; reviews the cache does not
// answer are rate limited.
type reviewer struct {
	kube    kubernetes.Interface
	cache   *cache.LRUExpireCache
	ttl     time.Duration
	timeout time.Duration
	limiter *rate.Limiter
	metrics *metrics

	mu      sync.Mutex
	pending map[[32]byte]*review
}

// review is one review in flight, which later requests with the same token wait for.
type review struct {
	done chan struct{}
	d    decision
	err  error
}

func newReviewer(cfg Config, kube kubernetes.Interface, m *metrics) *reviewer {
	return &reviewer{kube: kube, cache: cache.NewLRUExpireCache(cfg.CacheSize), ttl: cfg.CacheTTL,
		timeout: cfg.ReviewTimeout, limiter: rate.NewLimiter(rate.Limit(cfg.ReviewRate), cfg.ReviewBurst),
		metrics: m, pending: map[[32]byte]*review{}}
}

// decide returns the decision for token: cached, shared with a review in
// flight, or from a new review. Errors (the API server cannot be asked, or the
// review rate is spent) are not cached.
func (rv *reviewer) decide(ctx context.Context, token string) (decision, error) {
	key := sha256.Sum256([]byte(token))
	if d, ok := rv.cache.Get(key); ok {
		rv.metrics.cacheHits.Inc()
		return d.(decision), nil
	}
	rv.mu.Lock()
	if p, ok := rv.pending[key]; ok {
		rv.mu.Unlock()
		select {
		case <-p.done:
			return p.d, p.err
		case <-ctx.Done():
			return decision{}, ctx.Err()
		}
	}
	p := &review{done: make(chan struct{})}
	rv.pending[key] = p
	rv.mu.Unlock()
	p.d, p.err = rv.ask(ctx, token)
	if p.err == nil {
		rv.cache.Add(key, p.d, rv.ttl)
	}
	rv.mu.Lock()
	delete(rv.pending, key)
	rv.mu.Unlock()
	close(p.done)
	return p.d, p.err
}

// ask reviews the token and, when it authenticates, its user's access. The
// review outlives a client that goes away (others may wait for it), within
// the review timeout.
func (rv *reviewer) ask(ctx context.Context, token string) (decision, error) {
	if !rv.limiter.Allow() {
		rv.metrics.reviews[reviewRateLimited].Inc()
		return decision{}, errReviewRate
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rv.timeout)
	defer cancel()
	tr, err := rv.kube.AuthenticationV1().TokenReviews().Create(ctx,
		&authnv1.TokenReview{Spec: authnv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		rv.metrics.reviews[reviewError].Inc()
		return decision{}, fmt.Errorf("reviewing the token (TokenReview): %w", err)
	}
	if !tr.Status.Authenticated {
		rv.metrics.reviews[reviewUnauthenticated].Inc()
		return decision{status: http.StatusUnauthorized, message: "the Kubernetes API server did not accept the token" +
			suffix(tr.Status.Error) + "; " + howToGetToken}, nil
	}
	u := tr.Status.User
	sar, err := rv.kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, accessReview(u), metav1.CreateOptions{})
	if err != nil {
		rv.metrics.reviews[reviewError].Inc()
		return decision{}, fmt.Errorf("reviewing %s's access (SubjectAccessReview): %w", u.Username, err)
	}
	if !sar.Status.Allowed {
		rv.metrics.reviews[reviewForbidden].Inc()
		return decision{status: http.StatusForbidden, user: u.Username, message: forbidden(u.Username, sar.Status.Reason)}, nil
	}
	rv.metrics.reviews[reviewAllowed].Inc()
	return decision{user: u.Username}, nil
}

// accessReview asks whether the user may get the virtual resource meshview.
func accessReview(u authnv1.UserInfo) *authzv1.SubjectAccessReview {
	extra := make(map[string]authzv1.ExtraValue, len(u.Extra))
	for k, v := range u.Extra {
		extra[k] = authzv1.ExtraValue(v)
	}
	return &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
		User: u.Username, Groups: u.Groups, UID: u.UID, Extra: extra,
		ResourceAttributes: &authzv1.ResourceAttributes{Group: AuthGroup, Resource: AuthResource, Verb: AuthVerb},
	}}
}

// howToGetToken tells a client without a usable token how to get one.
const howToGetToken = "send \"Authorization: Bearer <token>\" with a token of a user or ServiceAccount bound to the ClusterRole " +
	ClusterRoleName + ", e.g. from `kubectl create token <serviceaccount> -n <namespace>`"

// forbidden says that user may not read the view, and how to allow it.
func forbidden(user, reason string) string {
	bind := "--user=" + user
	if rest, ok := strings.CutPrefix(user, "system:serviceaccount:"); ok {
		bind = "--serviceaccount=" + rest
	}
	return fmt.Sprintf("%s may not %s %s.%s%s; a cluster admin allows it with `kubectl create clusterrolebinding <name> --clusterrole=%s %s`",
		user, AuthVerb, AuthResource, AuthGroup, suffix(reason), ClusterRoleName, bind)
}

// suffix is ": s" cut to 200 bytes, or "" for an empty s.
func suffix(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return ": " + s
}

// bearerToken returns the request's bearer token, or a message saying why
// there is none.
func bearerToken(r *http.Request) (string, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", "no bearer token: " + howToGetToken
	}
	scheme, token, _ := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", "the Authorization header is not \"Bearer <token>\": " + howToGetToken
	}
	return token, ""
}

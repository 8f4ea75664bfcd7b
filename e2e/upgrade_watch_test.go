//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// churn creates pods in one namespace, one every interval, until stopped, and
// records each admission: these are the pods "created during" a rollout or an
// uninstall. Each pod carries a scheduling gate, so it is admitted exactly as any
// pod (the webhook sees it and mutates it) but never scheduled: the machine runs
// hundreds of admissions without running hundreds of pods.
type churn struct {
	stop context.CancelFunc
	done chan struct{}

	mu      sync.Mutex
	results []admission
}

// admission is one pod creation as the client saw it.
type admission struct {
	at       time.Time
	took     time.Duration
	err      error
	injected bool // the created object holds the sidecar
}

const churnGate = "e2e.meshprobe.io/hold"

func startChurn(t *testing.T, ns string, interval time.Duration) *churn {
	ctx, cancel := context.WithCancel(t.Context())
	c := &churn{stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for i := 0; ; i++ {
			c.create(ctx, ns, i)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

func (c *churn) create(ctx context.Context, ns string, i int) {
	p := bareAppPod(fmt.Sprintf("churn-%d", i), map[string]string{"group": "churn"})
	p.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: churnGate}}
	start := time.Now()
	out, err := suite.client.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
	if ctx.Err() != nil {
		return // stopped mid-request: not an admission failure
	}
	a := admission{at: start, took: time.Since(start), err: err}
	if err == nil {
		a.injected = hasSidecar(out)
	}
	c.mu.Lock()
	c.results = append(c.results, a)
	c.mu.Unlock()
}

// finish stops the churn and returns every admission.
func (c *churn) finish() []admission {
	c.stop()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.results
}

// summarize counts failed, injected and uninjected creations and the slowest one.
func summarize(as []admission) (failed []error, injected, plain int, slowest time.Duration) {
	for _, a := range as {
		slowest = max(slowest, a.took)
		switch {
		case a.err != nil:
			failed = append(failed, a.err)
		case a.injected:
			injected++
		default:
			plain++
		}
	}
	return failed, injected, plain, slowest
}

// webhookFailOpen is the API server's count of admissions of meshprobe's webhooks
// that failed and were let through (failurePolicy Ignore):
// apiserver_admission_webhook_fail_open_count, summed over meshprobe's webhook names.
// A pod admitted that way was created without the sidecar because no replica
// answered.
func webhookFailOpen(t *testing.T) float64 {
	t.Helper()
	raw, err := suite.client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(t.Context())
	require.NoError(t, err, "reading the API server's metrics")
	sum := 0.0
	for _, l := range splitLines(string(raw)) {
		if !strings.HasPrefix(l, "apiserver_admission_webhook_fail_open_count{") || !strings.Contains(l, `inject.meshprobe.io"`) {
			continue
		}
		v, err := strconv.ParseFloat(l[strings.LastIndexByte(l, ' ')+1:], 64)
		require.NoError(t, err, l)
		sum += v
	}
	return sum
}

// leaseRecord is one observed version of the leader Lease.
type leaseRecord struct {
	holder  string
	acquire time.Time
	renew   time.Time
}

// controlPlaneWatch records the Lease's versions and when each control-plane pod
// was first seen terminating.
type controlPlaneWatch struct {
	mu       sync.Mutex
	leases   []leaseRecord
	deleting map[string]time.Time
}

// watchControlPlane records every version of the leader Lease and when each
// control-plane pod starts terminating, until ctx ends.
func watchControlPlane(t *testing.T, ctx context.Context) *controlPlaneWatch {
	t.Helper()
	w := &controlPlaneWatch{deleting: map[string]time.Time{}}
	leases, err := suite.client.CoordinationV1().Leases(contract.DefaultNamespace).Watch(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", contract.LeaseName).String(),
	})
	require.NoError(t, err)
	pods, err := suite.client.CoreV1().Pods(contract.DefaultNamespace).Watch(ctx, metav1.ListOptions{
		LabelSelector: controlPlaneSelector,
	})
	require.NoError(t, err)
	go func() {
		for ev := range leases.ResultChan() {
			if l, ok := ev.Object.(*coordinationv1.Lease); ok {
				w.addLease(l)
			}
		}
	}()
	go func() {
		for ev := range pods.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && p.DeletionTimestamp != nil {
				w.mu.Lock()
				if _, seen := w.deleting[p.Name]; !seen {
					w.deleting[p.Name] = time.Now()
				}
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// controlPlaneSelector selects meshprobe's control-plane pods.
const controlPlaneSelector = "app.kubernetes.io/name=meshprobe-webhook"

func (w *controlPlaneWatch) addLease(l *coordinationv1.Lease) {
	r := leaseRecord{holder: ptr.Deref(l.Spec.HolderIdentity, "")}
	if l.Spec.AcquireTime != nil {
		r.acquire = l.Spec.AcquireTime.Time
	}
	if l.Spec.RenewTime != nil {
		r.renew = l.Spec.RenewTime.Time
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if n := len(w.leases); n > 0 && w.leases[n-1].holder == r.holder && w.leases[n-1].acquire.Equal(r.acquire) {
		w.leases[n-1] = r // a renewal
		return
	}
	w.leases = append(w.leases, r)
}

// handover is one change of the Lease's holder.
type handover struct {
	from, to string
	released bool          // from released the Lease (graceful) rather than let it expire
	gap      time.Duration // without a leader: from the release (or from's last renewal) to to's acquisition
	fromTerm time.Duration // from from's pod seen terminating to to's acquisition (0: from's pod was not deleted)
}

// handovers lists the changes of holder, each from a holder to the next one.
func (w *controlPlaneWatch) handovers() []handover {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []handover
	var last *leaseRecord // the last record with a holder
	released := time.Time{}
	for i := range w.leases {
		r := &w.leases[i]
		switch {
		case r.holder == "":
			released = r.renew // client-go's release writes an empty holder at the release time
		case last != nil && r.holder != last.holder:
			h := handover{from: last.holder, to: r.holder, released: !released.IsZero()}
			h.gap = r.acquire.Sub(last.renew)
			if h.released {
				h.gap = r.acquire.Sub(released)
			}
			if at, ok := w.deleting[last.holder]; ok {
				h.fromTerm = r.acquire.Sub(at)
			}
			out = append(out, h)
			fallthrough
		default:
			last, released = r, time.Time{}
		}
	}
	return out
}

// holder is the Lease's last observed holder.
func (w *controlPlaneWatch) holder() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.leases) == 0 {
		return ""
	}
	return w.leases[len(w.leases)-1].holder
}

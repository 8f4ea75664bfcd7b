// Package demo deploys meshprobe's demo workloads into a local cluster, waits for
// them, and writes the guide of what to look at.
package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"text/template"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster"
)

// Namespace holds the demo workloads.
const Namespace = "demo"

// PrepareControlPlane creates the heartbeat token Secret that meshprobe's Deployment
// reads (optional there), so the demo's heartbeat API is on. Call it before
// installing meshprobe; it returns the token.
func PrepareControlPlane(ctx context.Context, c *localcluster.Cluster) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	core := c.Client.CoreV1()
	_, err := core.Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: contract.DefaultNamespace}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("demo: %w", err)
	}
	_, err = core.Secrets(contract.DefaultNamespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "meshprobe-heartbeat"},
		StringData: map[string]string{"token": token},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("demo: heartbeat token: %w", err)
	}
	return token, nil
}

// Deploy creates the demo workloads, waits until they are available and returns
// the guide.
func Deploy(ctx context.Context, c *localcluster.Cluster, token string, log *slog.Logger) (string, error) {
	log.Info("deploying demo workloads", "namespace", Namespace)
	if err := apply(ctx, c, log); err != nil {
		return "", err
	}
	if err := c.WaitDeployments(ctx, Namespace, 3*time.Minute); err != nil {
		return "", err
	}
	log.Info("demo workloads available")
	return guide(ctx, c, token)
}

const guideText = `Demo: namespace {{.NS}} has frontend (2 pods, one per node) and backend (2 pods),
every pod with the meshprobe sidecar; frontend declares checks in meshprobe.io/checks.
{{if .Direct}}
  pods:            kubectl get pods -n {{.NS}} -o wide
  mesh members:    curl -s http://{{.Pod}}:{{.HTTPPort}}/api/v1/members
  checks:          curl -s http://{{.Pod}}:{{.HTTPPort}}/api/v1/checks
  RTT histograms:  curl -s http://{{.Pod}}:{{.HTTPPort}}/metrics | grep meshprobe_gossip_rtt_seconds
  check metrics:   curl -s http://{{.Pod}}:{{.HTTPPort}}/metrics | grep meshprobe_check_
  sidecar metrics: {{range .Pods}}http://{{.}}:{{$.HTTPPort}}/metrics  {{end}}
  control plane:   {{range .ControlPlane}}http://{{.}}:8080/metrics  {{end}}
  heartbeat:       curl -si "http://{{.Leader}}:8082/api/healthz/{{.NS}}/deployment/frontend?token={{.Token}}"
  cluster view:    open http://{{.Leader}}:8083/#token={{.ViewToken}}
{{- else}}
  pods:            kubectl get pods -n {{.NS}} -o wide
  mesh members:    kubectl get --raw /api/v1/namespaces/{{.NS}}/pods/{{.PodName}}:{{.HTTPPort}}/proxy/api/v1/members
  checks:          kubectl get --raw /api/v1/namespaces/{{.NS}}/pods/{{.PodName}}:{{.HTTPPort}}/proxy/api/v1/checks
  RTT histograms:  kubectl get --raw /api/v1/namespaces/{{.NS}}/pods/{{.PodName}}:{{.HTTPPort}}/proxy/metrics | grep meshprobe_gossip_rtt_seconds
  check metrics:   kubectl get --raw /api/v1/namespaces/{{.NS}}/pods/{{.PodName}}:{{.HTTPPort}}/proxy/metrics | grep meshprobe_check_
  control plane:   kubectl get --raw /api/v1/namespaces/meshprobe-system/pods/{{.LeaderName}}:8080/proxy/metrics
  heartbeat:       kubectl get --raw "/api/v1/namespaces/meshprobe-system/services/meshprobe-heartbeat:heartbeat/proxy/api/healthz/{{.NS}}/deployment/frontend?token={{.Token}}"
  cluster view:    kubectl -n meshprobe-system port-forward svc/meshprobe-view 8083:80
                   then open http://127.0.0.1:8083/#token={{.ViewToken}}
{{- end}}
                   (a token of ServiceAccount {{.NS}}/{{.Viewer}}, bound to ClusterRole meshprobe-view, valid {{.ViewTokenHours}} h;
                   another: kubectl create token {{.Viewer}} -n {{.NS}} --duration {{.ViewTokenHours}}h)
  break it:        kubectl -n {{.NS}} set image deploy/backend app=meshprobe.io/testapp:crash
                   (then the backend heartbeat turns 503; set it back to meshprobe.io/testapp:e2e to heal)
  sidecar logs:    kubectl logs -n {{.NS}} deploy/frontend -c meshprobe-sidecar
`

func guide(ctx context.Context, c *localcluster.Cluster, token string) (string, error) {
	data := struct {
		NS, Pod, PodName, Leader, LeaderName, Token string
		Viewer, ViewToken                           string
		ViewTokenHours                              int
		Direct                                      bool
		HTTPPort                                    int
		Pods, ControlPlane                          []string
	}{NS: Namespace, Token: token, HTTPPort: contract.DefaultHTTPPort, Direct: c.PodsReachableFromHost(),
		Viewer: viewerServiceAccount, ViewTokenHours: int(viewTokenTTL.Hours())}
	pods, err := c.Client.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: contract.LabelMember + "=true"})
	if err != nil || len(pods.Items) == 0 {
		return "", fmt.Errorf("demo: listing injected pods: %v", err)
	}
	for _, p := range pods.Items {
		data.Pods = append(data.Pods, p.Status.PodIP)
		if p.Labels["app"] == "frontend" {
			data.Pod, data.PodName = p.Status.PodIP, p.Name // the one with the interesting checks
		}
	}
	data.Leader, data.LeaderName, data.ControlPlane, err = controlPlane(ctx, c)
	if err != nil {
		return "", err
	}
	if data.ViewToken, err = viewerToken(ctx, c); err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = template.Must(template.New("guide").Parse(guideText)).Execute(&b, data)
	return b.String(), err
}

// viewerServiceAccount is the demo's reader of the cluster view (workloads.yaml
// binds it to the ClusterRole meshprobe-view), and viewTokenTTL how long the token
// in the guide lasts: a demo left running for a day needs a new one.
const (
	viewerServiceAccount = "mesh-viewer"
	viewTokenTTL         = 12 * time.Hour
)

// viewerToken requests a token of the demo's viewer ServiceAccount, as
// `kubectl create token` does.
func viewerToken(ctx context.Context, c *localcluster.Cluster) (string, error) {
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To(int64(viewTokenTTL.Seconds()))}}
	tr, err := c.Client.CoreV1().ServiceAccounts(Namespace).CreateToken(ctx, viewerServiceAccount, req, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("demo: a token for the cluster view's ServiceAccount %s/%s: %w", Namespace, viewerServiceAccount, err)
	}
	return tr.Status.Token, nil
}

// controlPlane waits for a leader and returns its IP and name and every replica's IP.
func controlPlane(ctx context.Context, c *localcluster.Cluster) (string, string, []string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		pods, err := c.Client.CoreV1().Pods(contract.DefaultNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=meshprobe-webhook"})
		if err == nil {
			leader, name, all := "", "", []string{}
			for _, p := range pods.Items {
				all = append(all, p.Status.PodIP)
				if p.Labels[contract.LabelRole] == contract.RoleLeader {
					leader, name = p.Status.PodIP, p.Name
				}
			}
			if leader != "" {
				return leader, name, all, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", "", nil, fmt.Errorf("demo: no control-plane replica labelled %s=%s", contract.LabelRole, contract.RoleLeader)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

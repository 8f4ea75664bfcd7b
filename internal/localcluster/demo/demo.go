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

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/localcluster"
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

  pods:            kubectl get pods -n {{.NS}} -o wide
  mesh members:    curl -s http://{{.Pod}}:{{.HTTPPort}}/api/v1/members
  checks:          curl -s http://{{.Pod}}:{{.HTTPPort}}/api/v1/checks
  RTT histograms:  curl -s http://{{.Pod}}:{{.HTTPPort}}/metrics | grep meshprobe_gossip_rtt_seconds
  check metrics:   curl -s http://{{.Pod}}:{{.HTTPPort}}/metrics | grep meshprobe_check_
  sidecar metrics: {{range .Pods}}http://{{.}}:{{$.HTTPPort}}/metrics  {{end}}
  control plane:   {{range .ControlPlane}}http://{{.}}:8080/metrics  {{end}}
  heartbeat:       curl -si "http://{{.Leader}}:8082/api/healthz/{{.NS}}/deployment/frontend?token={{.Token}}"
  break it:        kubectl -n {{.NS}} set image deploy/backend app=meshprobe.io/testapp:crash
                   (then the backend heartbeat turns 503; set it back to meshprobe.io/testapp to heal)
  sidecar logs:    kubectl logs -n {{.NS}} deploy/frontend -c meshprobe-sidecar
`

func guide(ctx context.Context, c *localcluster.Cluster, token string) (string, error) {
	data := struct {
		NS, Pod, Leader, Token string
		HTTPPort               int
		Pods, ControlPlane     []string
	}{NS: Namespace, Token: token, HTTPPort: contract.DefaultHTTPPort}
	pods, err := c.Client.CoreV1().Pods(Namespace).List(ctx, metav1.ListOptions{LabelSelector: contract.LabelMember + "=true"})
	if err != nil || len(pods.Items) == 0 {
		return "", fmt.Errorf("demo: listing injected pods: %v", err)
	}
	for _, p := range pods.Items {
		data.Pods = append(data.Pods, p.Status.PodIP)
		if p.Labels["app"] == "frontend" {
			data.Pod = p.Status.PodIP // the one with the interesting checks
		}
	}
	data.Leader, data.ControlPlane, err = controlPlane(ctx, c)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	err = template.Must(template.New("guide").Parse(guideText)).Execute(&b, data)
	return b.String(), err
}

// controlPlane waits for a leader and returns its IP and every replica's IP.
func controlPlane(ctx context.Context, c *localcluster.Cluster) (string, []string, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		pods, err := c.Client.CoreV1().Pods(contract.DefaultNamespace).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/name=meshprobe-webhook"})
		if err == nil {
			leader, all := "", []string{}
			for _, p := range pods.Items {
				all = append(all, p.Status.PodIP)
				if p.Labels[contract.LabelRole] == contract.RoleLeader {
					leader = p.Status.PodIP
				}
			}
			if leader != "" {
				return leader, all, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return "", nil, fmt.Errorf("demo: no control-plane replica labelled %s=%s", contract.LabelRole, contract.RoleLeader)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

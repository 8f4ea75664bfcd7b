//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes"
	"github.com/meshprobe/meshprobe/internal/contract"
)

const (
	// teToken is the token in e2e/testdata/overlay/e2e-secret.yaml.
	teToken = "e2e-thousandeyes-token"
	// EnvTEURL is where the suite reaches the fake's admin API on an external
	// cluster (kind maps NodePort 30089 to the host); the local backend uses the
	// fake pod's own address.
	EnvTEURL = "MESHPROBE_E2E_TE_URL"
)

// A ThousandEyes test declared in a labelled ConfigMap appears in the fake
// ThousandEyes server, marked as owned by meshprobe.
func TestThousandEyesSync(t *testing.T) {
	ctx := t.Context()
	ns := newNamespace(t, false)
	name := "e2e-" + ns
	// A cluster admin opts the namespace in; ConfigMaps elsewhere are ignored.
	optIn := fmt.Sprintf(`{"metadata":{"labels":{%q:%q}}}`, thousandeyes.NamespaceLabel, thousandeyes.NamespaceLabelValue)
	_, err := suite.client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, []byte(optIn), metav1.PatchOptions{})
	require.NoError(t, err)
	// Agents by name and by ID, both resolved through the fake's /agents.
	cfg := fmt.Sprintf("httpTests:\n  - testName: %s\n    url: https://example.com/health\n    interval: 300\n"+
		"    agents: [Singapore, 48]\n", name)
	_, err = suite.client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "te-tests", Labels: map[string]string{"app": "thousandeyes-tests"}},
		Data:       map[string]string{"config.yaml": cfg},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	base := teURL(t)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		tests, err := fakeTests(ctx, base)
		require.NoError(c, err)
		var desc string
		for _, tt := range tests {
			if tt.TestName == name {
				desc = tt.Description
			}
		}
		require.NotEmpty(c, desc, "test %q in the fake (have %d tests)", name, len(tests))
		assert.Contains(c, desc, "[meshprobe id="+ns+"/te-tests/"+name)
	}, 90*time.Second, 2*time.Second)
}

type fakeTest struct {
	TestName    string `json:"testName"`
	Description string `json:"description"`
}

func fakeTests(ctx context.Context, base string) ([]fakeTest, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_fake/tests", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+teToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /_fake/tests: %s: %s", resp.Status, body)
	}
	var tests []fakeTest
	if err := json.Unmarshal(body, &tests); err != nil {
		return nil, fmt.Errorf("decoding /_fake/tests: %w: %s", err, body)
	}
	return tests, nil
}

// teURL is the fake's base URL as the test process can reach it.
func teURL(t *testing.T) string {
	if u := os.Getenv(EnvTEURL); u != "" {
		return strings.TrimRight(u, "/")
	}
	if suite.local == nil {
		t.Skipf("set %s to reach the ThousandEyes fake of this cluster (kind/e2e.sh does)", EnvTEURL)
	}
	pods := waitReadyPods(t, contract.DefaultNamespace, "app.kubernetes.io/name=thousandeyes-fake", 1, time.Minute)
	return "http://" + net.JoinHostPort(pods[0].Status.PodIP, "8089")
}

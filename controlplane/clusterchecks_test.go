package controlplane

import (
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshprobe/meshprobe/integrations/clusterchecks"
)

// TestClusterChecksFlag: the task runs by default and --cluster-checks=false
// turns it off.
func TestClusterChecksFlag(t *testing.T) {
	client, err := kubernetes.NewForConfig(&rest.Config{Host: "https://127.0.0.1:1"}) // never called: tasks are only built
	require.NoError(t, err)
	for _, tc := range []struct {
		args []string
		want int
	}{{nil, 1}, {[]string{"--cluster-checks=false"}, 0}} {
		o, err := parseOptions(append([]string{"--namespace=mp"}, tc.args...), io.Discard)
		require.NoError(t, err)
		tasks, err := clusterChecksTasks(o, client, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		require.NoError(t, err)
		require.Len(t, tasks, tc.want, tc.args)
		if tc.want == 1 {
			assert.Equal(t, clusterchecks.TaskName, tasks[0].Name)
		}
	}
}

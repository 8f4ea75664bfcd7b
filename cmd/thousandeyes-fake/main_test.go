package main

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
)

// TestBinary builds and runs the binary as a real process and talks to it with
// the real client.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "thousandeyes-fake")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())

	cmd := exec.CommandContext(t.Context(), bin, "--listen", "127.0.0.1:0", "--log-format", "text")
	cmd.Env = append(os.Environ(), "TE_API_TOKEN=tok")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	url := strings.TrimSpace(strings.TrimPrefix(line, "listening on "))

	c, err := client.New(client.Config{BaseURL: url, Token: "tok"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	created, err := c.CreateHTTPServerTest(ctx, &client.HTTPServerTestRequest{
		TestName: "bin", URL: "https://x.example.com/", Interval: 60, Agents: []client.AgentRef{{AgentID: "3"}},
	})
	require.NoError(t, err)
	tests, err := c.ListHTTPServerTests(ctx)
	require.NoError(t, err)
	require.Len(t, tests, 1)
	assert.Equal(t, created.TestID, tests[0].TestID)

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/v7")+"/_fake/requests", nil)
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

package testapp

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "labels"), []byte(`app="web"`), 0o644))
	srv := httptest.NewServer(Handler([]string{dir}))
	t.Cleanup(srv.Close)
	tests := []struct {
		path string
		code int
		body string
	}{
		{"/healthz", 200, "ok"},
		{"/status/503", 503, ""},
		{"/status/abc", 400, "status code must be 200-599\n"},
		{"/files" + dir + "/labels", 200, `app="web"`},
		{"/files" + dir + "/../etc/passwd", 403, "path is not below a --serve-dir\n"},
		{"/files/etc/passwd", 403, "path is not below a --serve-dir\n"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tt.path)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			assert.Equal(t, tt.code, resp.StatusCode)
			assert.Equal(t, tt.body, string(body))
		})
	}
}

func TestCrash(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 1, Main([]string{"--crash"}, &stderr))
	assert.Contains(t, stderr.String(), "crashing on purpose")
}

func TestBasicAuth(t *testing.T) {
	srv := httptest.NewServer(Handler(nil))
	t.Cleanup(srv.Close)
	get := func(user, password string) int {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/basic-auth/probe/s3cret", nil)
		require.NoError(t, err)
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("probe", "s3cret"))
	assert.Equal(t, http.StatusUnauthorized, get("probe", "wrong"))
	assert.Equal(t, http.StatusUnauthorized, get("", ""))
}

func TestExitAfter(t *testing.T) {
	var stderr strings.Builder
	assert.Equal(t, 0, Main([]string{"--listen=127.0.0.1:0", "--exit-after=200ms"}, &stderr), stderr.String())
}

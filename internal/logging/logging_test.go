package logging

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(Config{Format: "xml"}, &bytes.Buffer{})
	require.ErrorContains(t, err, `invalid --log-format "xml"`)
	_, err = New(Config{Level: "loud"}, &bytes.Buffer{})
	require.ErrorContains(t, err, `invalid --log-level "loud"`)
}

func TestAutoIsJSONOffTerminal(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(Config{}, &buf)
	require.NoError(t, err)
	l.Info("hello", "k", "v")
	var rec map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
	assert.Equal(t, "hello", rec["msg"])
	assert.Equal(t, "v", rec["k"])
}

func TestStdLoggerMapsMemberlistLevels(t *testing.T) {
	cases := map[string]string{
		"[DEBUG] memberlist: probe":  "DEBUG",
		"[WARN] memberlist: refused": "WARN",
		"[ERR] memberlist: failed":   "ERROR",
		"no prefix at all":           "INFO",
	}
	for line, want := range cases {
		var buf bytes.Buffer
		l, err := New(Config{Format: "json", Level: "debug"}, &buf)
		require.NoError(t, err)
		StdLogger(l).Print(line)
		var rec map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &rec), line)
		assert.Equal(t, want, rec["level"], line)
		assert.NotContains(t, rec["msg"], "[", line)
	}
}

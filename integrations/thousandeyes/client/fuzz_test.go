package client

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParseError feeds arbitrary error bodies to the problem+json / OAuth parser:
// it must never panic, and the error must always name the call and status.
func FuzzParseError(f *testing.F) {
	f.Add(400, []byte(`{"title":"Bad Request","detail":"Validation failed","errors":[{"code":"X","field":"agents","message":"m"}]}`))
	f.Add(401, []byte(`{"error":"invalid_token","error_description":"Invalid access token"}`))
	f.Add(502, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := parseError("GET", "/tests/http-server", status, body)
		require.Equal(t, status, e.StatusCode)
		require.Contains(t, e.Error(), "GET /tests/http-server: ")
	})
}

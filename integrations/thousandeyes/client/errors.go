package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// FieldError is one entry of a problem+json "errors" list.
type FieldError struct {
	Code    string `json:"code,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message,omitempty"`
}

// APIError is a non-2xx answer from the API. Problem+json fields are filled when
// the body is a problem; OAuthError and OAuthDescription when it is the 401 form
// {"error":"invalid_token","error_description":"..."}.
type APIError struct {
	Method           string
	Path             string
	StatusCode       int
	Type             string       `json:"type,omitempty"`
	Title            string       `json:"title,omitempty"`
	Detail           string       `json:"detail,omitempty"`
	Instance         string       `json:"instance,omitempty"`
	Errors           []FieldError `json:"errors,omitempty"`
	OAuthError       string       `json:"error,omitempty"`
	OAuthDescription string       `json:"error_description,omitempty"`
}

// Error names the call, the status and the most specific message the body had.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// Message is the human-readable message: detail, else title, else the OAuth
// description, followed by each field error as "field: message".
func (e *APIError) Message() string {
	var parts []string
	switch {
	case e.Detail != "":
		parts = append(parts, e.Detail)
	case e.Title != "":
		parts = append(parts, e.Title)
	case e.OAuthDescription != "":
		parts = append(parts, e.OAuthDescription)
	case e.OAuthError != "":
		parts = append(parts, e.OAuthError)
	}
	for _, fe := range e.Errors {
		switch {
		case fe.Field != "" && fe.Message != "":
			parts = append(parts, fe.Field+": "+fe.Message)
		case fe.Message != "":
			parts = append(parts, fe.Message)
		case fe.Field != "":
			parts = append(parts, fe.Field+": "+fe.Code)
		}
	}
	return strings.Join(parts, "; ")
}

// maxErrorBody caps how much of an error body is read.
const maxErrorBody = 64 << 10

// parseError builds an APIError from a non-2xx response body. A body that is not
// JSON is kept, trimmed, as the detail so the cause is never lost.
func parseError(method, path string, status int, body []byte) *APIError {
	e := &APIError{}
	if err := json.Unmarshal(body, e); err != nil {
		e = &APIError{Detail: truncate(strings.TrimSpace(string(body)), 200)}
	}
	e.Method, e.Path, e.StatusCode = method, path, status
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// StatusCode returns the HTTP status of an *APIError in err's chain, or 0.
func StatusCode(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is a 404 from the API.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is a 401 from the API.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsRateLimited reports whether err is a 429 from the API.
func IsRateLimited(err error) bool { return StatusCode(err) == http.StatusTooManyRequests }

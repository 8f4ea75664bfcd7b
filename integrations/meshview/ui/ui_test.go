package ui_test

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/meshprobe/meshprobe/integrations/meshview/ui"
)

func get(t *testing.T, h http.Handler, method, path string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandlerServesFiles(t *testing.T) {
	h := ui.Handler()
	for _, tc := range []struct {
		path, contentType, body string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="app.js"></script>`},
		{"/app.js", "text/javascript; charset=utf-8", "takeFragmentToken"},
		{"/style.css", "text/css; charset=utf-8", ":root"},
		{"/favicon.svg", "image/svg+xml", "<svg"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := get(t, h, http.MethodGet, tc.path, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s = %d, want 200", tc.path, w.Code)
			}
			if got := w.Header().Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tc.contentType)
			}
			if !strings.Contains(w.Body.String(), tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			checkSecurityHeaders(t, w.Header())
			if w.Header().Get("ETag") == "" || w.Header().Get("Cache-Control") != "no-cache" {
				t.Errorf("ETag %q, Cache-Control %q: want a strong ETag and no-cache", w.Header().Get("ETag"), w.Header().Get("Cache-Control"))
			}
		})
	}
}

func checkSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{"Content-Security-Policy": ui.ContentSecurityPolicy, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestHandlerRevalidates(t *testing.T) {
	h := ui.Handler()
	etag := get(t, h, http.MethodGet, "/app.js", nil).Header().Get("ETag")
	if w := get(t, h, http.MethodGet, "/app.js", http.Header{"If-None-Match": {etag}}); w.Code != http.StatusNotModified {
		t.Errorf("GET with If-None-Match of the current ETag = %d, want 304", w.Code)
	}
	if other := get(t, h, http.MethodGet, "/api.js", nil).Header().Get("ETag"); other == etag {
		t.Errorf("app.js and api.js share the ETag %s", etag)
	}
}

func TestHandlerRefuses(t *testing.T) {
	h := ui.Handler()
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{http.MethodGet, "/nope.js", http.StatusNotFound},
		{http.MethodGet, "/../ui.go", http.StatusNotFound},
		{http.MethodGet, "/static/app.js", http.StatusNotFound},
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/app.js", http.StatusMethodNotAllowed},
	} {
		w := get(t, h, tc.method, tc.path, nil)
		if w.Code != tc.code {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, w.Code, tc.code)
		}
		checkSecurityHeaders(t, w.Header())
	}
	if w := get(t, h, http.MethodHead, "/", nil); w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d bytes, want 200 and no body", w.Code, w.Body.Len())
	}
}

// TestStaticFilesKeepTheCSP checks what the Content-Security-Policy would
// otherwise break (or what would weaken it): inline scripts, inline event
// handlers, style attributes, references to other origins; and that the
// scripts never parse data as HTML.
func TestStaticFilesKeepTheCSP(t *testing.T) {
	forbidden := map[string]*regexp.Regexp{
		"inline script":        regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>`),
		"inline event handler": regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		"style attribute":      regexp.MustCompile(`(?i)\sstyle\s*=`),
		"other origin":         regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`),
		"HTML from a string":   regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function`),
		"setAttribute style":   regexp.MustCompile(`setAttribute\(\s*["']style`),
	}
	err := fs.WalkDir(os.DirFS("static"), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile("static/" + name)
		if err != nil {
			return err
		}
		for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAll(body, -1) {
			if !strings.Contains(string(tag), " src=") {
				t.Errorf("%s: inline script %s", name, tag)
			}
		}
		for what, re := range forbidden {
			if loc := re.FindIndex(body); loc != nil {
				t.Errorf("%s: %s: %q", name, what, body[loc[0]:loc[1]])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPageReferencesExist checks that every file the page and its modules
// load is served.
func TestPageReferencesExist(t *testing.T) {
	h := ui.Handler()
	ref := regexp.MustCompile(`(?:src|href)="([^"#]+)"|from "\./([^"]+)"`)
	for _, page := range []string{"/", "/app.js", "/api.js", "/checks.js", "/members.js", "/mesh.js", "/model.js", "/rtt.js", "/table.js", "/dom.js"} {
		body := get(t, h, http.MethodGet, page, nil).Body.String()
		for _, m := range ref.FindAllStringSubmatch(body, -1) {
			file := m[1] + m[2]
			if w := get(t, h, http.MethodGet, "/"+file, nil); w.Code != http.StatusOK {
				t.Errorf("%s loads %s: GET = %d", page, file, w.Code)
			}
		}
	}
}

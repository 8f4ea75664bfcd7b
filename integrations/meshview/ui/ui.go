package ui

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
)

//go:embed static
var static embed.FS

// ContentSecurityPolicy is the policy Handler sets on every answer: the page may
// load scripts, styles, images and API answers from its own origin only, and
// runs no inline script or style.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the UI's embedded files: / is the page, the rest are the files
// it loads. Only GET and HEAD are answered; every answer carries
// ContentSecurityPolicy, nosniff, no-referrer and a strong ETag.
func Handler() http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		panic(fmt.Sprintf("ui: embedded files: %v", err)) // the embed directive guarantees it
	}
	return &handler{files: http.FileServerFS(files), etags: etags(files)}
}

type handler struct {
	files http.Handler
	etags map[string]string // by URL path
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	etag, ok := h.etags[path.Clean("/"+r.URL.Path)]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", "no-cache")
	h.files.ServeHTTP(w, r)
}

// etags maps each file's URL path (and / for index.html) to a strong ETag of its
// content, so browsers revalidate cheaply and never run a stale script after an
// upgrade.
func etags(files fs.FS) map[string]string {
	out := map[string]string{}
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return fmt.Errorf("reading %s: %w", name, err)
		}
		sum := sha256.Sum256(body)
		tag := `"` + hex.EncodeToString(sum[:16]) + `"`
		out["/"+name] = tag
		if name == "index.html" {
			out["/"] = tag
		}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("ui: embedded files: %v", err)) // embedded files are always readable
	}
	return out
}

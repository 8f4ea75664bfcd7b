package checks

import (
	"encoding/json"
	"net/http"
)

// Report is the JSON body of /api/v1/checks.
type Report struct {
	// LastReloadSuccessful is false when the last annotation was invalid.
	LastReloadSuccessful bool `json:"lastReloadSuccessful"`
	// LastReloadError is the error of that invalid annotation.
	LastReloadError string `json:"lastReloadError,omitempty"`
	// Checks are the running checks in annotation order.
	Checks []Status `json:"checks"`
}

// Report returns the current state of the checks.
func (m *Manager) Report() Report {
	states := m.states()
	m.mu.Lock()
	rep := Report{LastReloadSuccessful: m.lastError == "", LastReloadError: m.lastError,
		Checks: make([]Status, 0, len(states))}
	m.mu.Unlock()
	for _, st := range states {
		rep.Checks = append(rep.Checks, st.snapshot())
	}
	return rep
}

// Handler serves the Report as JSON at GET /api/v1/checks (mount it there).
func (m *Manager) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodHead {
			return
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(m.Report())
	})
}

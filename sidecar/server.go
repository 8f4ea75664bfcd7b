package sidecar

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/meshprobe/meshprobe/gossip"
)

// Paths the sidecar serves.
const (
	PathMetrics = "/metrics"
	PathHealthz = "/healthz"
	PathReadyz  = "/readyz"
	PathMembers = "/api/v1/members"
	PathChecks  = "/api/v1/checks"
)

// Server timeouts: every connection is bounded.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 60 * time.Second
)

// readyResponse is the JSON of /readyz.
type readyResponse struct {
	Ready  bool          `json:"ready"`
	Gossip gossip.Status `json:"gossip"`
}

// newHandler routes the sidecar's endpoints; /api/v1/members shows view. checks
// may be nil.
func newHandler(mesh *gossip.Mesh, reg *prometheus.Registry, checks http.Handler, view MembersView, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelError), Timeout: writeTimeout / 2,
	}))
	mux.HandleFunc("GET "+PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET "+PathReadyz, func(w http.ResponseWriter, _ *http.Request) {
		st := mesh.Status()
		code := http.StatusOK
		if !st.Ready() {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, readyResponse{Ready: st.Ready(), Gossip: st})
	})
	mux.HandleFunc("GET "+PathMembers, membersHandler(mesh, view))
	if checks != nil {
		mux.Handle("GET "+PathChecks, checks)
	}
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// newServer wraps h with the sidecar's timeouts.
func newServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

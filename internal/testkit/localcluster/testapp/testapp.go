package testapp

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// EnvPodIP names the address to bind instead of all addresses (set by the node agent
// in loopback mode, where pods share the host's network namespace).
const EnvPodIP = "LOCALCLUSTER_POD_IP"

type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(v string) error { *d = append(*d, filepath.Clean(v)); return nil }

// Main runs the test app with args until SIGTERM or SIGINT and returns the exit code.
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("testapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", ":8080", "listen address; a bare :port binds $"+EnvPodIP+" when set")
	crash := fs.Bool("crash", false, "exit with status 1 at once (a crash-looping container)")
	exitAfter := fs.Duration("exit-after", 0, "serve this long, then exit with status 0 (a Job's container); 0: until a signal")
	var dirs dirList
	fs.Var(&dirs, "serve-dir", "directory whose files /files/ serves (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if *crash {
		log.Error("testapp: crashing on purpose (--crash)")
		return 1
	}
	addr := *listen
	if ip := os.Getenv(EnvPodIP); ip != "" && strings.HasPrefix(addr, ":") {
		addr = net.JoinHostPort(ip, strings.TrimPrefix(addr, ":"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if *exitAfter > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *exitAfter)
		defer cancel()
	}
	if err := serve(ctx, addr, dirs, log); err != nil {
		log.Error("testapp", "err", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, addr string, dirs []string, log *slog.Logger) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: Handler(dirs), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second}
	log.Info("testapp listening", "addr", l.Addr().String())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("testapp stopped")
	return nil
}

// Handler returns the test app's HTTP handler.
func Handler(dirs []string) http.Handler {
	mux := http.NewServeMux()
	host, _ := os.Hostname()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "meshprobe testapp on %s\n", host)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /status/{code}", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(r.PathValue("code"))
		if err != nil || code < 200 || code > 599 {
			http.Error(w, "status code must be 200-599", http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
	})
	mux.HandleFunc("GET /basic-auth/{user}/{password}", func(w http.ResponseWriter, r *http.Request) {
		user, password, ok := r.BasicAuth()
		if !ok || user != r.PathValue("user") || password != r.PathValue("password") {
			w.Header().Set("WWW-Authenticate", `Basic realm="testapp"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "authenticated")
	})
	mux.HandleFunc("GET /env", func(w http.ResponseWriter, _ *http.Request) {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(env)
	})
	mux.HandleFunc("GET /files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		serveFile(w, dirs, "/"+r.PathValue("path"))
	})
	return mux
}

// serveFile serves p only when it lies below one of dirs.
func serveFile(w http.ResponseWriter, dirs []string, p string) {
	p = filepath.Clean(p)
	for _, d := range dirs {
		if p == d || strings.HasPrefix(p, d+"/") {
			data, err := os.ReadFile(p)
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			_, _ = w.Write(data)
			return
		}
	}
	http.Error(w, "path is not below a --serve-dir", http.StatusForbidden)
}

package kubelet

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/controlplane"
)

// logServer serves GET /containerLogs/{namespace}/{pod}/{container} the way the
// kubelet does for `kubectl logs` (tailLines, limitBytes and follow), over TLS with a
// certificate from the cluster CA, and only to clients with a certificate from that
// CA (the apiserver).
type logServer struct {
	k    *Kubelet
	srv  *http.Server
	port int
}

func startLogServer(k *Kubelet) (*logServer, error) {
	ip := net.ParseIP(k.NodeIP())
	kp, err := k.cfg.CA.IssueServing(k.cfg.NodeName, []string{k.cfg.NodeName}, []net.IP{ip}, 30*24*time.Hour)
	if err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(k.cfg.CA.Cert)
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return nil, fmt.Errorf("log server: %w", err)
	}
	ls := &logServer{k: k, port: l.Addr().(*net.TCPAddr).Port}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", ls.containerLogs)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	ls.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert}, ClientCAs: pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
		},
	}
	go func() { _ = ls.srv.ServeTLS(l, "", "") }()
	return ls, nil
}

func (ls *logServer) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = ls.srv.Shutdown(ctx)
}

// LogPath returns the log file of a container of a running pod on this node.
func (k *Kubelet) LogPath(namespace, pod, container string) (string, bool) {
	ps := k.lookup(namespace + "/" + pod)
	if ps == nil {
		return "", false
	}
	return ps.logPath(container), true
}

func (ls *logServer) containerLogs(w http.ResponseWriter, r *http.Request) {
	path, ok := ls.k.LogPath(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"))
	if !ok {
		http.Error(w, "pod not found on this node", http.StatusNotFound)
		return
	}
	q := r.URL.Query()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		http.Error(w, "container has not started", http.StatusBadRequest)
		return
	} else if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain")
	if n, err := strconv.Atoi(q.Get("tailLines")); err == nil && n >= 0 {
		_, _ = io.WriteString(w, controlplane.TailFile(path, n)+"\n")
		_, _ = f.Seek(0, io.SeekEnd)
	} else {
		var src io.Reader = f
		if lb, err := strconv.ParseInt(q.Get("limitBytes"), 10, 64); err == nil && lb > 0 {
			src = io.LimitReader(f, lb)
		}
		_, _ = io.Copy(w, src)
	}
	if q.Get("follow") == "true" {
		follow(r.Context(), w, f)
	}
}

// follow streams what is appended to f until the client goes away.
func follow(ctx context.Context, w http.ResponseWriter, f *os.File) {
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return
		}
		if n == 0 && !sleepCtx(ctx, 200*time.Millisecond) {
			return
		}
	}
}

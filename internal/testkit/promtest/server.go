package promtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"sigs.k8s.io/yaml"

	"github.com/meshprobe/meshprobe/internal/testkit/freeport"
)

// Config is what the test Prometheus scrapes and evaluates.
type Config struct {
	// ScrapeInterval and EvaluationInterval default to 1s, so tests see data quickly.
	ScrapeInterval     time.Duration
	EvaluationInterval time.Duration
	// ScrapeConfigs are Prometheus scrape_configs entries, as decoded YAML.
	ScrapeConfigs []map[string]any
	// RuleFiles are paths of rule files (plain `groups:` documents).
	RuleFiles []string
}

// Server is a running Prometheus.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string
	// API is a client for the server's HTTP API.
	API promv1.API
	// Dir holds the configuration, the TSDB and the log (prometheus.log).
	Dir string
}

// Start writes cfg to a temporary directory, starts Prometheus on a free loopback port,
// waits until /-/ready answers 200, and stops the server when t ends. It skips t when
// the prometheus binary is missing (fails under CI=true).
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	confPath := filepath.Join(dir, "prometheus.yml")
	if err := writeConfig(confPath, cfg); err != nil {
		t.Fatalf("promtest: %v", err)
	}
	addr := freeport.Addr(t)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatalf("promtest: %v", err)
	}
	cmd := exec.Command(bin,
		"--config.file="+confPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=info",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("promtest: starting %s: %v", bin, err)
	}
	// exited is closed when the process ends; waitErr holds Wait's error by then.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { stop(t, cmd, exited, logFile) })

	s := &Server{URL: "http://" + addr, Dir: dir}
	if err := waitReady(t.Context(), s.URL, exited, &waitErr); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("promtest: %v\n%s", err, log)
	}
	client, err := api.NewClient(api.Config{Address: s.URL})
	if err != nil {
		t.Fatalf("promtest: API client: %v", err)
	}
	s.API = promv1.NewAPI(client)
	return s
}

// writeConfig renders cfg as prometheus.yml.
func writeConfig(path string, cfg Config) error {
	scrape, eval := cfg.ScrapeInterval, cfg.EvaluationInterval
	if scrape == 0 {
		scrape = time.Second
	}
	if eval == 0 {
		eval = time.Second
	}
	doc := map[string]any{
		"global": map[string]any{
			"scrape_interval":     scrape.String(),
			"scrape_timeout":      scrape.String(),
			"evaluation_interval": eval.String(),
		},
		"scrape_configs": cfg.ScrapeConfigs,
		"rule_files":     cfg.RuleFiles,
	}
	raw, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return fmt.Errorf("writing config: %w", err)
	}
	return nil
}

// waitReady polls /-/ready until it answers 200, the process exits, or 60 s pass.
func waitReady(ctx context.Context, base string, exited <-chan struct{}, waitErr *error) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/-/ready", nil)
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("prometheus exited before it was ready: %v", *waitErr)
		case <-ctx.Done():
			return errors.New("prometheus not ready after 60s")
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM, waits up to 10 s, then kills; the log is shown when t failed.
func stop(t testing.TB, cmd *exec.Cmd, exited <-chan struct{}, logFile *os.File) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	_ = logFile.Close()
	if t.Failed() {
		if log, err := os.ReadFile(logFile.Name()); err == nil {
			t.Logf("prometheus log (last 4 KiB):\n%s", tail(log, 4096))
		}
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

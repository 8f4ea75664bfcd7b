// Command thousandeyes-fake serves the fake ThousandEyes API v7 of package
// internal/testkit/tefake as a standalone process, for the e2e suite,
// `make demo` and kind. It is a test double: it keeps everything in memory.
//
//	thousandeyes-fake --listen 127.0.0.1:8089     # token from TE_API_TOKEN or --token-file
//
// API: http://<listen>/v7/...; switches and the request log: /_fake/... (see
// tefake.AdminHandler); liveness: /healthz. It prints "listening on <url>" once ready.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/meshprobe/meshprobe/internal/contract"
	"github.com/meshprobe/meshprobe/internal/logging"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

func main() { os.Exit(run()) }

type flags struct {
	listen, tokenFile, groups, prefix string
	limit                             int
	window                            time.Duration
	log                               logging.Config
}

func run() int {
	var f flags
	fs := flag.NewFlagSet("thousandeyes-fake", flag.ContinueOnError)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8089", "address to serve on")
	fs.StringVar(&f.tokenFile, "token-file", os.Getenv(contract.EnvTEAPITokenFile), "file holding the bearer token to accept (default env "+contract.EnvTEAPIToken+")")
	fs.StringVar(&f.groups, "account-groups", "1", "comma-separated valid aid values; the first is the default")
	fs.StringVar(&f.prefix, "prefix", "/v7", "path prefix of the API")
	fs.IntVar(&f.limit, "limit", 240, "requests per window for the organisation (negative: unlimited)")
	fs.DurationVar(&f.window, "window", time.Minute, "rate-limit window")
	f.log.RegisterFlags(fs)
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	log, err := logging.New(f.log, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := serve(log, f); err != nil {
		log.Error("thousandeyes-fake failed", "err", err)
		return 1
	}
	return 0
}

func token(f flags) (string, error) {
	if f.tokenFile != "" {
		b, err := os.ReadFile(f.tokenFile)
		if err != nil {
			return "", fmt.Errorf("reading token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := os.Getenv(contract.EnvTEAPIToken); t != "" {
		return t, nil
	}
	return "", errors.New("no token: set " + contract.EnvTEAPIToken + " or --token-file")
}

func serve(log *slog.Logger, f flags) error {
	tok, err := token(f)
	if err != nil {
		return err
	}
	fk := tefake.New(tefake.Config{Token: tok, AccountGroups: strings.Split(f.groups, ","), Limit: f.limit, Window: f.window, Prefix: f.prefix})
	mux := http.NewServeMux()
	mux.Handle("/_fake/", fk.AdminHandler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("/", fk)
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	url := "http://" + ln.Addr().String() + f.prefix
	fmt.Println("listening on " + url)
	log.Info("fake ThousandEyes API serving", "url", url, "limit", f.limit, "window", f.window)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

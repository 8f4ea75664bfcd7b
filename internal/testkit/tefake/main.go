package tefake

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
)

// flags are the standalone server's command-line flags.
type flags struct {
	listen, tokenFile, groups, prefix string
	limit                             int
	window                            time.Duration
	log                               logging.Config
}

// Main runs the fake as a standalone server (cmd/thousandeyes-fake) with args
// (without the program name) until SIGINT or SIGTERM, and returns the exit code:
// 0, 1 if it cannot serve, 2 on a usage error. It prints "listening on <url>" to
// stdout once ready, and logs to stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	var f flags
	fs := flag.NewFlagSet("thousandeyes-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8089", "address to serve on")
	fs.StringVar(&f.tokenFile, "token-file", os.Getenv(contract.EnvTEAPITokenFile), "file holding the bearer token to accept (default env "+contract.EnvTEAPIToken+")")
	fs.StringVar(&f.groups, "account-groups", "1", "comma-separated valid aid values; the first is the default")
	fs.StringVar(&f.prefix, "prefix", "/v7", "path prefix of the API")
	fs.IntVar(&f.limit, "limit", 240, "requests per window for the organisation (negative: unlimited)")
	fs.DurationVar(&f.window, "window", time.Minute, "rate-limit window")
	f.log.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	log, err := logging.New(f.log, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if err := serve(log, f, stdout); err != nil {
		log.Error("thousandeyes-fake failed", "err", err)
		return 1
	}
	return 0
}

// acceptedToken is the bearer token the server accepts: --token-file's content,
// else the environment's.
func acceptedToken(f flags) (string, error) {
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

// serve serves the API, the admin switches and /healthz until SIGINT or SIGTERM.
func serve(log *slog.Logger, f flags, stdout io.Writer) error {
	tok, err := acceptedToken(f)
	if err != nil {
		return err
	}
	fk := New(Config{Token: tok, AccountGroups: strings.Split(f.groups, ","), Limit: f.limit, Window: f.window, Prefix: f.prefix})
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
	fmt.Fprintln(stdout, "listening on "+url)
	log.Info("fake ThousandEyes API serving", "url", url, "limit", f.limit, "window", f.window)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Package logging builds meshprobe's slog loggers: JSON when the output is not a
// terminal (in a cluster), human-readable text on a terminal, and bridges for the
// libraries that log through other interfaces (logr for controller-runtime and
// client-go, the standard log package for memberlist).
package logging

import (
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/go-logr/logr"
)

// Config selects the log format and level.
type Config struct {
	// Format is "auto" (JSON unless the output is a terminal), "json" or "text".
	Format string
	// Level is "debug", "info", "warn" or "error".
	Level string
}

// RegisterFlags adds --log-format and --log-level to fs, with defaults auto and info.
func (o *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.Format, "log-format", "auto", "log format: auto (JSON unless stderr is a terminal), json or text")
	fs.StringVar(&o.Level, "log-level", "info", "log level: debug, info, warn or error")
}

// New returns a logger writing to w as cfg says.
func New(o Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(orDefault(o.Level, "info"))); err != nil {
		return nil, fmt.Errorf("logging: invalid --log-level %q: want debug, info, warn or error", o.Level)
	}
	handlerOpts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(orDefault(o.Format, "auto")) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, handlerOpts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, handlerOpts)), nil
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, handlerOpts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, handlerOpts)), nil
	default:
		return nil, fmt.Errorf("logging: invalid --log-format %q: want auto, json or text", o.Format)
	}
}

// Logr bridges an slog logger to logr, for controller-runtime and client-go.
func Logr(l *slog.Logger) logr.Logger {
	return logr.FromSlogHandler(l.Handler())
}

// StdLogger returns a standard-library logger whose lines go to l at the level
// their "[LEVEL]" prefix names, as memberlist writes them ("[DEBUG] memberlist: ...").
func StdLogger(l *slog.Logger) *log.Logger {
	return log.New(levelWriter{l}, "", 0)
}

type levelWriter struct{ l *slog.Logger }

func (w levelWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelInfo
	for prefix, lv := range map[string]slog.Level{
		"[DEBUG]": slog.LevelDebug, "[TRACE]": slog.LevelDebug, "[INFO]": slog.LevelInfo,
		"[WARN]": slog.LevelWarn, "[ERR]": slog.LevelError, "[ERROR]": slog.LevelError,
	} {
		if strings.HasPrefix(msg, prefix) {
			level, msg = lv, strings.TrimSpace(strings.TrimPrefix(msg, prefix))
			break
		}
	}
	w.l.Log(nil, level, msg) //nolint:staticcheck // no request context for library log lines
	return len(p), nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

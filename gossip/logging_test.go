package gossip

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is a slog handler that keeps every record.
type recorder struct {
	mu      *sync.Mutex
	attrs   []slog.Attr
	recs    *[]slog.Record
	attrsOf *[][]slog.Attr
}

func newRecorder() *recorder {
	return &recorder{mu: &sync.Mutex{}, recs: &[]slog.Record{}, attrsOf: &[][]slog.Attr{}}
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.recs = append(*r.recs, rec.Clone())
	*r.attrsOf = append(*r.attrsOf, r.attrs)
	return nil
}

func (r *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{mu: r.mu, recs: r.recs, attrsOf: r.attrsOf, attrs: append(append([]slog.Attr{}, r.attrs...), as...)}
}

func (r *recorder) WithGroup(string) slog.Handler { return r }

// find reports whether a record at level from component has msg in its message.
func (r *recorder) find(level slog.Level, component, msg string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, rec := range *r.recs {
		if rec.Level != level || !strings.Contains(rec.Message, msg) {
			continue
		}
		for _, a := range (*r.attrsOf)[i] {
			if a.Key == "component" && a.Value.String() == component {
				return true
			}
		}
	}
	return false
}

func TestMemberlistLogsReachSlogAtTheirLevel(t *testing.T) {
	kf := keyDir(t)
	writeKeys(t, kf, newKey(t))
	rec := newRecorder()
	cfg := testConfig(t, "ns/seed/00000001", kf)
	cfg.Logger = slog.New(rec)
	seed := startMesh(t, cfg)
	waitRunning(t, seed)

	// A member with the key and the seed's name: memberlist logs a conflict as
	// [ERR]. (A member without the key no longer reaches memberlist at all: the
	// Transport refuses its streams and packets.)
	impostor := testConfig(t, "ns/seed/00000001", kf)
	impostor.Join = []string{seed.Addr().String()}
	waitRunning(t, startMesh(t, impostor))
	require.Eventually(t, func() bool {
		return rec.find(slog.LevelError, "memberlist", "memberlist: ")
	}, 10*time.Second, 20*time.Millisecond, "memberlist's [ERR] lines arrive as slog errors tagged component=memberlist")
	require.True(t, rec.find(slog.LevelDebug, "memberlist", "memberlist: Stream connection"), "[DEBUG] lines arrive as debug")
}

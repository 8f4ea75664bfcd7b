package reconciler

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/config"
	"github.com/meshprobe/meshprobe/internal/testkit/tefake"
)

const (
	benchConfigMaps   = 50
	benchTestsPerCM   = 10
	benchLimit        = 240
	benchShare        = 0.5
	benchWindowScaled = 2 * time.Second // the API's 1-minute window, scaled 30x down
)

func benchSources(b *testing.B, edit bool) []Source {
	b.Helper()
	out := make([]Source, 0, benchConfigMaps)
	for i := 0; i < benchConfigMaps; i++ {
		var y strings.Builder
		y.WriteString("prune: true\nhttpTests:\n")
		for j := 0; j < benchTestsPerCM; j++ {
			interval := 300
			if edit && i == 7 && j == 3 {
				interval = 600
			}
			fmt.Fprintf(&y, "  - testName: svc-%d-%d\n    url: https://svc-%d-%d.example.com/healthz\n    interval: %d\n    agents: [\"Singapore\", \"32\"]\n    alertRules: [\"HTTP 5xx\"]\n    headers: [\"X-Probe: meshprobe\"]\n", i, j, i, j, interval)
		}
		f, err := config.Parse([]byte(y.String()))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, Source{Namespace: fmt.Sprintf("team-%02d", i), Name: "thousandeyes-tests", File: f})
	}
	return out
}

type benchCounts struct{ lists, gets, writes, puts, limited, maxPerWindow int }

func countRequests(reqs []tefake.Request, window time.Duration) benchCounts {
	var c benchCounts
	perWindow := map[int64]int{}
	for _, r := range reqs {
		switch {
		case r.Method == http.MethodGet && r.Path == "/tests/http-server":
			c.lists++
		case r.Method == http.MethodGet:
			c.gets++
		default:
			c.writes++
		}
		if r.Method == http.MethodPut {
			c.puts++
		}
		if r.Limited || r.Status == http.StatusTooManyRequests {
			c.limited++
		}
		w := r.Time.Truncate(window).UnixNano()
		perWindow[w]++
		c.maxPerWindow = max(c.maxPerWindow, perWindow[w])
	}
	return c
}

// BenchmarkSync500 syncs 500 tests declared in 50 ConfigMaps against the fake
// with the organisation limit of 240 per window (the window scaled from one
// minute to 2 s) and a 50% budget share. It reports the API calls of the first
// sync, of a no-op resync and of a one-test edit, the most requests seen in any
// window, and the 429s (target: 0).
func BenchmarkSync500(b *testing.B) {
	for b.Loop() {
		fk := tefake.New(tefake.Config{Token: "tok", Limit: benchLimit, Window: benchWindowScaled})
		srv := httptest.NewServer(fk)
		api, err := client.New(client.Config{BaseURL: srv.URL + "/v7", Token: "tok", BudgetShare: benchShare,
			OrgLimit: benchLimit, Window: benchWindowScaled, MaxJitter: 50 * time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		rec := newRec(b, Config{}, api)
		start := time.Now()
		if err := rec.Sync(b.Context(), benchSources(b, false)).Err(); err != nil {
			b.Fatal(err)
		}
		firstDur := time.Since(start)
		first := countRequests(fk.Requests(), benchWindowScaled)
		fk.ResetLog()
		if err := rec.Sync(b.Context(), benchSources(b, false)).Err(); err != nil {
			b.Fatal(err)
		}
		noop := countRequests(fk.Requests(), benchWindowScaled)
		fk.ResetLog()
		if err := rec.Sync(b.Context(), benchSources(b, true)).Err(); err != nil {
			b.Fatal(err)
		}
		edit := countRequests(fk.Requests(), benchWindowScaled)
		srv.Close()
		if len(fk.Tests("")) != benchConfigMaps*benchTestsPerCM {
			b.Fatalf("want %d tests, have %d", benchConfigMaps*benchTestsPerCM, len(fk.Tests("")))
		}
		b.ReportMetric(float64(first.lists+first.gets+first.writes), "first-sync-calls")
		b.ReportMetric(float64(first.writes), "first-sync-writes")
		b.ReportMetric(firstDur.Seconds()*float64(time.Minute/benchWindowScaled), "first-sync-unscaled-s")
		b.ReportMetric(float64(first.maxPerWindow), "max-calls/window")
		b.ReportMetric(float64(first.limited+noop.limited+edit.limited), "429s")
		b.ReportMetric(float64(noop.lists), "noop-lists")
		b.ReportMetric(float64(noop.gets+noop.writes), "noop-other-calls")
		b.ReportMetric(float64(edit.puts), "edit-puts")
		b.ReportMetric(float64(edit.lists+edit.gets+edit.writes), "edit-calls")
	}
}

// BenchmarkNoopPass500 measures the CPU and memory of a no-op pass over 500
// tests (one list, planning, zero writes), without rate limiting.
func BenchmarkNoopPass500(b *testing.B) {
	fk := tefake.New(tefake.Config{Token: "tok", Limit: -1})
	srv := httptest.NewServer(fk)
	defer srv.Close()
	api, err := client.New(client.Config{BaseURL: srv.URL + "/v7", Token: "tok", BudgetShare: 1, OrgLimit: 1 << 20, Window: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	rec := newRec(b, Config{}, api)
	sources := benchSources(b, false)
	if err := rec.Sync(b.Context(), sources).Err(); err != nil {
		b.Fatal(err)
	}
	fk.ResetLog()
	b.ReportAllocs()
	for b.Loop() {
		if res := rec.Sync(b.Context(), sources); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
	if c := countRequests(fk.Requests(), time.Second); c.writes != 0 {
		b.Fatalf("no-op passes wrote %d times", c.writes)
	}
}

package heartbeat

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testclock "k8s.io/utils/clock/testing"
)

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr string
	}{
		{"3600-H", Rate{3600, time.Hour}, ""},
		{"5-S", Rate{5, time.Second}, ""},
		{"10-m", Rate{10, time.Minute}, ""},
		{" 100-D ", Rate{100, 24 * time.Hour}, ""},
		{"off", Rate{}, ""},
		{"OFF", Rate{}, ""},
		{"0", Rate{}, ""},
		{"3600", Rate{}, "want <limit>-<S|M|H|D>"},
		{"3600-W", Rate{}, `unit "W"`},
		{"3600-", Rate{}, `unit ""`},
		{"-H", Rate{}, `limit ""`},
		{"0-H", Rate{}, `limit "0"`},
		{"-5-H", Rate{}, `unit "5-H"`},
		{"1.5-H", Rate{}, `limit "1.5"`},
		{"99999999999999999999-H", Rate{}, "limit"},
		{"3600-H-H", Rate{}, `unit "H-H"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRateString(t *testing.T) {
	assert.Equal(t, "3600-H", Rate{3600, time.Hour}.String())
	assert.Equal(t, "off", Rate{}.String())
}

func TestParseRateEnv(t *testing.T) {
	tests := []struct {
		limit, period string
		want          Rate
		wantErr       []string
	}{
		{"3600", "H", Rate{3600, time.Hour}, nil},
		{"100", "m", Rate{100, time.Minute}, nil},
		{"5", "S", Rate{5, time.Second}, nil},
		{"1000", "D", Rate{1000, 24 * time.Hour}, nil},
		{"100", "1h", Rate{100, time.Hour}, nil},
		{"100", "90s", Rate{100, 90 * time.Second}, nil},
		{" 100 ", " 30m ", Rate{100, 30 * time.Minute}, nil},
		{"100", "", Rate{100, time.Hour}, nil},
		{"", "M", Rate{3600, time.Minute}, nil},
		{"3600-H", "", Rate{3600, time.Hour}, nil},
		{"off", "", Rate{}, nil},
		{"off", "H", Rate{}, nil},
		{"0", "M", Rate{}, nil},
		{"3600-H", "H", Rate{}, []string{`RATE_LIMIT "3600-H" with RATE_LIMIT_PERIOD "H"`, "plain number", "or unset RATE_LIMIT_PERIOD"}},
		{"10-M", "1h", Rate{}, []string{"RATE_LIMIT", "RATE_LIMIT_PERIOD"}},
		{"lots", "H", Rate{}, []string{`RATE_LIMIT "lots" with RATE_LIMIT_PERIOD "H"`}},
		{"lots", "", Rate{}, []string{`RATE_LIMIT "lots"`, "number of requests per RATE_LIMIT_PERIOD"}},
		{"100", "W", Rate{}, []string{`RATE_LIMIT_PERIOD "W"`, "S, M, H or D"}},
		{"100", "1M", Rate{}, []string{`RATE_LIMIT_PERIOD "1M"`}},
		{"100", "500ms", Rate{}, []string{`RATE_LIMIT_PERIOD "500ms"`, "from 1s to 24h"}},
		{"100", "25h", Rate{}, []string{`RATE_LIMIT_PERIOD "25h"`}},
		{"100", "-1h", Rate{}, []string{`RATE_LIMIT_PERIOD "-1h"`}},
		{"-5", "H", Rate{}, []string{`RATE_LIMIT "-5"`, "whole number"}},
		{"1.5", "H", Rate{}, []string{`RATE_LIMIT "1.5" with RATE_LIMIT_PERIOD`}},
		{"99999999999999", "H", Rate{}, []string{`RATE_LIMIT "99999999999999"`}},
	}
	for _, tt := range tests {
		t.Run(tt.limit+","+tt.period, func(t *testing.T) {
			got, err := ParseRateEnv(tt.limit, tt.period)
			for _, msg := range tt.wantErr {
				require.ErrorContains(t, err, msg)
			}
			if tt.wantErr == nil {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// FuzzParseRate checks ParseRate on s, and ParseRateEnv on s as RATE_LIMIT with
// period as RATE_LIMIT_PERIOD.
func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"3600-H", "5-s", "off", "0", "1-D", "-1-H", "1e9-M", "9223372036854775807-S"} {
		f.Add(s, "")
	}
	for _, s := range [][2]string{{"3600", "H"}, {"100", "1h"}, {"3600-H", "H"}, {"", "M"}, {"7", "90s"}, {"1", "24h0m1s"}, {"+5", "m"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, s, period string) {
		r, err := ParseRate(s)
		checkParsedRate(t, "ParseRate", s, r, err, func(r Rate) (Rate, error) { return ParseRate(r.String()) })
		envRate, envErr := ParseRateEnv(s, period)
		checkParsedRate(t, "ParseRateEnv", s+" / "+period, envRate, envErr, func(r Rate) (Rate, error) {
			return ParseRateEnv(strconv.FormatInt(r.Limit, 10), r.Period.String())
		})
		if strings.TrimSpace(period) == "" && err == nil && (envErr != nil || envRate != r) {
			t.Fatalf("RATE_LIMIT=%q alone gives %+v, %v; ParseRate gives %+v", s, envRate, envErr, r)
		}
		if err == nil && !r.Unlimited() && strings.TrimSpace(period) != "" {
			if envErr == nil || !strings.Contains(envErr.Error(), EnvRateLimit+" ") || !strings.Contains(envErr.Error(), EnvRatePeriod) {
				t.Fatalf("RATE_LIMIT=%q RATE_LIMIT_PERIOD=%q: want an error naming both, got %+v, %v", s, period, envRate, envErr)
			}
		}
	})
}

// checkParsedRate checks one parser's answer: a short error, or a rate in range
// that round-trips through reparse.
func checkParsedRate(t *testing.T, parser, in string, r Rate, err error, reparse func(Rate) (Rate, error)) {
	t.Helper()
	if err != nil {
		if len(err.Error()) > 400 {
			t.Fatalf("%s(%q): error message too long (%d bytes)", parser, in, len(err.Error()))
		}
		return
	}
	if r.Unlimited() {
		return
	}
	if r.Limit < 1 || r.Limit > maxRateLimit || r.Period < time.Second || r.Period > maxRatePeriod {
		t.Fatalf("%s(%q) = %+v: out of range", parser, in, r)
	}
	if back, err := reparse(r); err != nil || back != r {
		t.Fatalf("%s(%q) = %+v does not round-trip: %+v, %v", parser, in, r, back, err)
	}
}

func newFakeClock() *testclock.FakeClock {
	return testclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
}

func TestLimiterWindow(t *testing.T) {
	clk := newFakeClock()
	l := newLimiter(Rate{Limit: 3, Period: time.Minute}, 10, clk)
	for i := range 3 {
		d := l.allow("10.0.0.1")
		require.True(t, d.allowed, "request %d", i)
		assert.Equal(t, int64(2-i), d.remaining)
	}
	d := l.allow("10.0.0.1")
	assert.False(t, d.allowed)
	assert.Equal(t, clk.Now().Add(time.Minute), d.reset)
	assert.True(t, l.allow("10.0.0.2").allowed, "another client has its own budget")

	clk.Step(59 * time.Second)
	assert.False(t, l.allow("10.0.0.1").allowed, "still inside the window")
	clk.Step(time.Second)
	assert.True(t, l.allow("10.0.0.1").allowed, "a new window starts")
}

func TestLimiterBoundsClients(t *testing.T) {
	clk := newFakeClock()
	l := newLimiter(Rate{Limit: 1, Period: time.Minute}, 3, clk)
	for i := range 3 {
		require.True(t, l.allow(fmt.Sprintf("10.0.0.%d", i)).allowed)
	}
	assert.False(t, l.allow("10.0.1.1").allowed, "full table refuses new clients")
	assert.LessOrEqual(t, len(l.clients), 3)
	clk.Step(time.Minute)
	assert.True(t, l.allow("10.0.1.1").allowed, "expired windows are swept")
	assert.Len(t, l.clients, 1)
}

package heartbeat

import (
	"fmt"
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

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"3600-H", "5-s", "off", "0", "1-D", "-1-H", "1e9-M", "9223372036854775807-S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error message too long (%d bytes)", len(err.Error()))
			}
			return
		}
		if r.Unlimited() {
			return
		}
		if r.Limit < 1 || r.Limit > maxRateLimit || r.Period < time.Second {
			t.Fatalf("ParseRate(%q) = %+v: out of range", s, r)
		}
		back, err := ParseRate(r.String())
		if err != nil || back != r {
			t.Fatalf("ParseRate(%q) = %+v does not round-trip through %q: %v", s, r, r.String(), err)
		}
	})
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

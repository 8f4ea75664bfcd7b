package spec

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultTimeoutFor(t *testing.T) {
	for _, tt := range []struct{ interval, want time.Duration }{
		{time.Second, 800 * time.Millisecond},
		{5 * time.Second, 4 * time.Second},
		{6250 * time.Millisecond, 5 * time.Second},
		{7 * time.Second, 5 * time.Second},
		{DefaultInterval, DefaultTimeout},
		{MaxInterval, DefaultTimeout},
	} {
		assert.Equal(t, tt.want, DefaultTimeoutFor(tt.interval), "interval %s", tt.interval)
	}
}

// TestTimeoutFollowsInterval: a check that sets an interval and no timeout gets
// the timeout of its interval; a timeout it sets is kept.
func TestTimeoutFollowsInterval(t *testing.T) {
	specs, err := Parse([]byte(`
- {name: a, type: tcp, address: 'x:1', interval: 5s}
- {name: b, type: tcp, address: 'x:1', interval: 1s, timeout: null}
- {name: c, type: tcp, address: 'x:1', interval: 5s, timeout: 4500ms}
- {name: d, type: tcp, address: 'x:1'}`))
	require.NoError(t, err)
	got := make([]time.Duration, 0, len(specs))
	for _, s := range specs {
		got = append(got, s.Timeout.D())
	}
	assert.Equal(t, []time.Duration{4 * time.Second, 800 * time.Millisecond, 4500 * time.Millisecond, DefaultTimeout}, got)
}

// TestEveryDefaultCombinationParses: each type with only its required fields,
// at every interval boundary and with each runOn and retries, parses.
func TestEveryDefaultCombinationParses(t *testing.T) {
	required := map[Type]string{
		TypeHTTP: "url: http://localhost:8080/",
		TypeTCP:  "address: db:5432",
		TypeDNS:  "query: kubernetes.default.svc",
		TypeTLS:  "address: example.org:443",
		TypeGRPC: "address: localhost:9090",
	}
	require.Len(t, required, len(Types()), "a type without required fields here")
	intervals := []string{"", "1s", "1500ms", "5s", "6s", "7s", "30s", "24h"}
	for _, typ := range Types() {
		for _, iv := range intervals {
			for _, extra := range []string{"", "runOn: one", "runOn: worker$", "runOn: '*'", "retries: 10"} {
				doc := fmt.Sprintf("- name: c\n  type: %s\n  %s\n", typ, required[typ])
				if iv != "" {
					doc += "  interval: " + iv + "\n"
				}
				if extra != "" {
					doc += "  " + extra + "\n"
				}
				specs, err := Parse([]byte(doc))
				require.NoError(t, err, doc)
				require.Len(t, specs, 1)
				assert.Less(t, specs[0].Timeout.D(), specs[0].Interval.D(), doc)
			}
		}
	}
}

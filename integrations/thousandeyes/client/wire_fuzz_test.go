package client

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

// FuzzListResponses feeds arbitrary bodies to the decoding of the list and
// agents responses: an error or a value, never a panic.
func FuzzListResponses(f *testing.F) {
	f.Add(200, []byte(`{"tests":[{"testId":"1","testName":"a","url":"https://x","agents":[{"agentId":"3"}]}]}`))
	f.Add(200, []byte(`{"agents":[{"agentId":"3","agentName":"Sydney","agentType":"cloud"}]}`))
	f.Add(200, []byte(`{"tests":null,"agents":{}}`))
	f.Add(500, []byte(`{"title":"x"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		for _, out := range []any{&testList{}, &agentList{}, &alertRuleList{}} {
			resp := &http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(body))}
			_ = decodeResponse(call{method: http.MethodGet, path: "/tests/http-server", out: out}, resp)
		}
	})
}

// FuzzRateLimitHeaders feeds arbitrary rate-limit headers to the budget: never a
// panic, and a block never longer than two windows plus the jitter.
func FuzzRateLimitHeaders(f *testing.F) {
	f.Add("240", "0", "1700000000", "Mon, 02 Jan 2006 15:04:05 GMT", 429)
	f.Add("-1", "x", "99999999999999999999", "", 200)
	f.Add("0", "-5", "-1", "garbage", 429)
	f.Fuzz(func(t *testing.T, limit, remaining, reset, date string, status int) {
		const window = time.Minute
		b := newBudget(0.5, 240, window, time.Second, time.Second)
		h := http.Header{HeaderRateLimit: {limit}, HeaderRateRemaining: {remaining}, HeaderRateReset: {reset}, "Date": {date}}
		before := time.Now()
		for range 3 {
			b.observe(h, status)
		}
		if _, until := b.snapshot(); until.Sub(before) > 2*window+time.Second+time.Second {
			t.Fatalf("blocked for %s", until.Sub(before))
		}
	})
}

//go:build linux

package ui_test

import (
	"flag"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/meshprobe/meshprobe/internal/testkit/chromium"
)

var screenshotFile = flag.String("ui.screenshot", "", "also write the page's screenshot (1400×1000) to this PNG file, e.g. ../../../docs/ui.png")

// The pair the lookup asks for: neighbours in zone-a that measure each other.
const (
	rttFrom = "checkout/checkout-api-0000"
	rttTo   = "payments/payments-api-0000"
)

func pageURL(base string, fragment url.Values) string {
	return base + "/#" + fragment.Encode()
}

// TestPageInChromium loads the page from the control plane's view server
// (meshview.Server with this UI, over a Store fed with 1,000 members' digests,
// checking tokens with a real kube-apiserver) in headless Chromium and checks
// what a user sees.
func TestPageInChromium(t *testing.T) {
	browser := chromium.Find(t)
	t.Logf("browser: %s", browser.Version(t))
	srv := startViewServer(t, newCluster(t).store)
	viewer := srv.token(t, "mesh-viewer", true)

	t.Run("screenshot", func(t *testing.T) {
		// The page as docs/ui.png shows it: with -ui.screenshot into that file,
		// else into a temporary one; either way a 1400×1000 PNG.
		file := *screenshotFile
		if file == "" {
			file = filepath.Join(t.TempDir(), "ui.png")
		}
		file, err := filepath.Abs(file)
		if err != nil {
			t.Fatal(err)
		}
		browser.Screenshot(t, pageURL(srv.url, url.Values{"token": {viewer}, "from": {rttFrom}, "to": {rttTo}}), file, 1400, 1000)
		checkPNG(t, file, 1400, 1000)
		t.Logf("screenshot: %s", file)
	})

	t.Run("signed in", func(t *testing.T) {
		// Signed in through #token=: the 1,000 members (one page of them in the
		// DOM), the failing check with its error and history, the node matrix
		// and the lookup of a measured pair.
		dom := browser.DumpDOM(t, pageURL(srv.url, url.Values{"token": {viewer}, "from": {rttFrom}, "to": {rttTo}}))
		mustContain(t, dom, `data-loaded="true"`, "the page finished loading the view")
		mustContain(t, dom, `<div id="error" class="error" role="alert" hidden="">`, "no error shown")
		mustContain(t, dom, `id="sum-members"><div class="value">1000</div>`, "the summary counts 1,000 members")
		if n := strings.Count(dom, "<tr data-member="); n != 50 {
			t.Errorf("member rows in the DOM = %d, want one page of 50", n)
		}
		mustContain(t, dom, "1–50 of 1000", "the member pager")
		mustContain(t, dom, `data-member="analytics/analytics-api-0000"`, "the first member sorted by pod")

		row := firstRow(t, dom, `<tr data-check="`+failingCheck+`" data-pod="payments/payments-api-0000" class="bad">`)
		mustContain(t, row, `<span class="badge failure">failure</span>`, "the failing check's result")
		mustContain(t, row, failingError, "the failing check's error")
		if got := strings.Count(row, `class="dot failure"`); got != 6 {
			t.Errorf("failing check history: %d failure dots, want 6 (of 10 runs)", got)
		}
		mustContain(t, row, "6×", "the failing streak's length")

		mustMatch(t, dom, `<td data-from="node-1" data-to="node-2" class="" title="node-1 → node-2: [0-9.]+ µs, measured`, "a measured cell in zone-a")
		mustMatch(t, dom, `<td data-from="node-1" data-to="node-8" class="est" title="node-1 → node-8: [0-9.]+ ms, estimated`, "an estimated cross-zone cell")
		mustMatch(t, dom, `data-node="node-2">.*?payments [0-9]+<b> ✕`, "node-2's payments namespace marked failing")

		mustMatch(t, dom, `<div class="rtt-answer" data-source="measured">.*?<span class="rtt-value">[0-9.]+ µs</span>`, "the measured RTT of the looked-up pair")
		mustNotContain(t, dom, viewer, "the token is nowhere in the page")
	})

	t.Run("forbidden", func(t *testing.T) {
		// A valid token whose user is not bound to meshprobe-view: the 403 and how to allow it.
		dom := browser.DumpDOM(t, pageURL(srv.url, url.Values{"token": {srv.token(t, "stranger", false)}}))
		mustMatch(t, dom, `<div id="error" class="error" role="alert">GET api/v1/[a-z/]+: 403 Forbidden: system:serviceaccount:default:stranger may not get meshview`, "the 403 with its user")
		mustContain(t, dom, "--clusterrole=meshprobe-view --serviceaccount=default:stranger", "how to allow it")
	})

	t.Run("refused token", func(t *testing.T) {
		// A token the API server does not accept: the 401, and the form asks for another.
		dom := browser.DumpDOM(t, pageURL(srv.url, url.Values{"token": {"not-a-token"}}))
		mustMatch(t, dom, `<div id="error" class="error" role="alert">GET api/v1/[a-z/]+: 401 Unauthorized: the Kubernetes API server did not accept the token`, "the 401")
		mustContain(t, dom, `<section id="token-panel" class="panel token">`, "the token form shown again")
		mustContain(t, dom, "kubectl create token", "how to get a token")
	})

}

func checkPNG(t *testing.T, file string, width, height int) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", file, err)
	}
	if cfg.Width != width || cfg.Height != height {
		t.Errorf("screenshot is %d×%d, want %d×%d", cfg.Width, cfg.Height, width, height)
	}
}

func mustContain(t *testing.T, dom, want, what string) {
	t.Helper()
	if !strings.Contains(dom, want) {
		t.Errorf("%s: %q not in the DOM%s", what, want, domNote)
	}
}

func mustNotContain(t *testing.T, dom, unwanted, what string) {
	t.Helper()
	if strings.Contains(dom, unwanted) {
		t.Errorf("%s: %q is in the DOM", what, unwanted)
	}
}

func mustMatch(t *testing.T, dom, pattern, what string) {
	t.Helper()
	if !regexp.MustCompile("(?s)" + pattern).MatchString(dom) {
		t.Errorf("%s: no match for %s in the DOM%s", what, pattern, domNote)
	}
}

// firstRow returns the table row that starts with prefix.
func firstRow(t *testing.T, dom, prefix string) string {
	t.Helper()
	i := strings.Index(dom, prefix)
	if i < 0 {
		t.Fatalf("no row %s in the DOM%s", prefix, domNote)
	}
	end := strings.Index(dom[i:], "</tr>")
	if end < 0 {
		t.Fatalf("row %s not closed", prefix)
	}
	return dom[i : i+end]
}

// domNote points at the whole DOM, which dumpDOM saved.
const domNote = " (the whole DOM is dom.html in the test's artifact directory: run with -artifacts to keep it)"

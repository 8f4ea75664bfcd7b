//go:build linux

package ui_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/meshprobe/meshprobe/integrations/meshview/ui"
	"github.com/meshprobe/meshprobe/internal/testkit/chromium"
)

// TestModulesInChromium runs testdata/modules_test.js in headless Chromium
// against the UI's own modules as Handler serves them: the token fragment, the
// table's sorting and paging (local and remote), the matrix (table, canvas
// and refusal), the API readers and the formats. It needs no API server.
func TestModulesInChromium(t *testing.T) {
	browser := chromium.Find(t)
	mux := http.NewServeMux()
	mux.Handle("/ui-tests/", http.StripPrefix("/ui-tests/", http.FileServer(http.Dir("testdata"))))
	mux.Handle("/", ui.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	dom := browser.DumpDOM(t, srv.URL+"/ui-tests/modules.html#token=secret-token&from=a/b")
	m := regexp.MustCompile(`(?s)<pre id="results">(.*?)</pre>`).FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no results in the page%s", domNote)
	}
	out := html.UnescapeString(m[1])
	if !strings.HasSuffix(out, "DONE") {
		t.Fatalf("the checks did not finish:\n%s", out)
	}
	passed := 0
	for line := range strings.SplitSeq(out, "\n") {
		switch {
		case strings.HasPrefix(line, "FAIL"):
			t.Error(line)
		case strings.HasPrefix(line, "ok "):
			passed++
			t.Log(line)
		}
	}
	if passed < 20 { // a check that stopped reporting is a failure too
		t.Errorf("%d checks passed, want at least 20:\n%s", passed, out)
	}
}

package heartbeat

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		path    string
		want    Target
		wantErr string
	}{
		{"/api/healthz/shop/deployment/web", Target{"shop", KindDeployment, "web"}, ""},
		{"/api/healthz/kube-system/daemonset/kube-proxy", Target{"kube-system", KindDaemonSet, "kube-proxy"}, ""},
		{"/api/healthz/db/statefulset/pg.primary", Target{"db", KindStatefulSet, "pg.primary"}, ""},
		{"/api/healthz/shop/deployment/web/", Target{}, "want /api/healthz/{namespace}/{kind}/{name}"},
		{"/api/healthz/shop/deployment", Target{}, "want /api/healthz/{namespace}/{kind}/{name}"},
		{"/api/healthz/shop/cronjob/web", Target{}, `kind "cronjob"`},
		{"/api/healthz/shop/Deployment/web", Target{}, `kind "Deployment"`},
		{"/api/healthz/Shop/deployment/web", Target{}, `namespace "Shop"`},
		{"/api/healthz//deployment/web", Target{}, `namespace ""`},
		{"/api/healthz/shop/deployment/", Target{}, `name ""`},
		{"/api/healthz/shop/deployment/we_b", Target{}, `name "we_b"`},
		{"/api/healthz/" + strings.Repeat("a", 64) + "/deployment/web", Target{}, "namespace"},
		{"/api/health/shop/deployment/web", Target{"shop", KindDeployment, "web"}, ""},
		{"/api/health/db/statefulset/pg.primary", Target{"db", KindStatefulSet, "pg.primary"}, ""},
		{"/api/health/shop/deployment", Target{}, "want /api/health/{namespace}/{kind}/{name}"},
		{"/api/health/shop/cronjob/web", Target{}, `kind "cronjob"`},
		{"/api/healthzz/shop/deployment/web", Target{}, "not under /api/healthz/ or /api/health/"},
		{"/healthz", Target{}, "not under /api/healthz/ or /api/health/"},
		{"/health", Target{}, "not under /api/healthz/ or /api/health/"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParsePath(tt.path)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"/api/healthz/shop/deployment/web", "/api/healthz/a/statefulset/b.c", "/api/healthz///",
		"/api/healthz/x/daemonset/" + strings.Repeat("y", 300), "/api/healthz/\x00/deployment/\xff",
		"/health", "/healthz", "/api/health/shop/deployment/web", "/api/health//deployment/web", "/api/healthz",
		"/api/healthz/" + strings.Repeat("\xff", 64) + "/deployment/web",
		"/api/healthz/shop/" + strings.Repeat("\x00", 64) + "/web",
		"/api/healthz/" + strings.Repeat("\u2028", 64) + "/deployment/" + strings.Repeat("\xfe", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got, err := ParsePath(p)
		if rest, ok := strings.CutPrefix(p, APIPrefix); ok {
			twin, twinErr := ParsePath(APIPrefixAlias + rest)
			if twin != got || (twinErr == nil) != (err == nil) {
				t.Fatalf("ParsePath(%q) = %+v, %v, but its /api/health/ twin gives %+v, %v", p, got, err, twin, twinErr)
			}
		}
		if err != nil {
			if len(err.Error()) > 400 {
				t.Fatalf("error message too long (%d bytes): untrusted input must be truncated", len(err.Error()))
			}
			return
		}
		if rest := got.Namespace + "/" + got.Kind + "/" + got.Name; p != APIPrefix+rest && p != APIPrefixAlias+rest {
			t.Fatalf("ParsePath(%q) = %+v does not round-trip", p, got)
		}
		if got.Namespace == "" || got.Name == "" || strings.ContainsAny(got.Namespace+got.Name, "/?#% ") {
			t.Fatalf("ParsePath(%q) accepted an invalid name: %+v", p, got)
		}
	})
}

// TestErrorsAboutUntrustedInputStayShort feeds each part of the path the bytes
// that quote longest (\xff and \x00 quote as four bytes, U+2028 as six), where a
// cut before quoting would let the message grow four to six times.
func TestErrorsAboutUntrustedInputStayShort(t *testing.T) {
	for _, long := range []string{strings.Repeat("\xff", 500), strings.Repeat("\x00", 500), strings.Repeat("\u2028", 500)} {
		for _, p := range []string{
			APIPrefix + long + "/deployment/web",
			APIPrefix + "shop/" + long + "/web",
			APIPrefix + "shop/deployment/" + long,
			APIPrefix + long,
		} {
			_, err := ParsePath(p)
			require.Error(t, err)
			assert.LessOrEqual(t, len(err.Error()), 400, "error for a %d-byte path: %s", len(p), err)
		}
		_, err := ParseRate(long)
		require.Error(t, err)
		assert.LessOrEqual(t, len(err.Error()), 400, err.Error())
	}
}

func TestQuoteCutsAtAWholeEscape(t *testing.T) {
	assert.Equal(t, `"web"`, quote("web"))
	got := quote(strings.Repeat("\xff", 100))
	assert.Equal(t, `"`+strings.Repeat(`\xff`, maxQuoted/4)+`"...`, got)
	assert.Equal(t, `"a\nb"`, quote("a\nb"))
}

package spec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestParseInvalid maps each testdata/invalid-*.yaml to its exact error, given
// in the file's leading "# error: " lines (one per joined error, in order).
func TestParseInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid-*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			want := expectedErrors(data)
			require.NotEmpty(t, want, "the file must start with '# error: ' lines")
			specs, err := Parse(data)
			require.Error(t, err)
			assert.Nil(t, specs)
			assert.Equal(t, strings.Join(want, "\n"), err.Error())
		})
	}
}

// expectedErrors returns the text of the leading "# error: " lines.
func expectedErrors(data []byte) []string {
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		msg, ok := strings.CutPrefix(sc.Text(), "# error: ")
		if !ok {
			break
		}
		want = append(want, msg)
	}
	return want
}

// TestParseValid compares each valid file's specs, defaults applied, with its
// golden JSON (go test -run TestParseValid -update rewrites them).
func TestParseValid(t *testing.T) {
	files, err := filepath.Glob("testdata/valid-*")
	require.NoError(t, err)
	for _, file := range files {
		if strings.HasSuffix(file, ".golden.json") {
			continue
		}
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			specs, err := Parse(data)
			require.NoError(t, err)
			got, err := json.MarshalIndent(specs, "", "  ")
			require.NoError(t, err)
			golden := strings.TrimSuffix(file, filepath.Ext(file)) + ".golden.json"
			if *update {
				require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.JSONEq(t, string(want), string(got))
		})
	}
}

func TestParseDefaults(t *testing.T) {
	specs, err := Parse([]byte("- {name: a, type: http, url: 'http://x/'}\n- {name: b, type: dns, query: x.org}"))
	require.NoError(t, err)
	require.Len(t, specs, 2)
	a := specs[0]
	assert.Equal(t, DefaultInterval, a.Interval.D())
	assert.Equal(t, DefaultTimeout, a.Timeout.D())
	assert.Equal(t, 0, a.Retries)
	assert.Equal(t, RunOnAll, a.RunOn)
	assert.Equal(t, "GET", a.Method)
	assert.Equal(t, "^2..$", a.ExpectStatus)
	require.NotNil(t, a.FollowRedirects)
	assert.True(t, *a.FollowRedirects)
	b := specs[1]
	assert.Equal(t, "A", b.RecordType)
	assert.Equal(t, "udp", b.Transport)
	assert.Equal(t, "NOERROR", b.ExpectRcode)
	assert.Empty(t, b.Method, "http defaults must not leak into other types")
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "  \n", "null", "[]", "# nothing\n"} {
		specs, err := Parse([]byte(in))
		require.NoError(t, err, "%q", in)
		assert.Empty(t, specs, "%q", in)
	}
}

func TestParseLimits(t *testing.T) {
	_, err := Parse(bytes.Repeat([]byte(" "), MaxAnnotationBytes+1))
	require.EqualError(t, err, "annotation is 262145 bytes, over the limit of 262144")

	var b strings.Builder
	for range MaxChecks + 1 {
		b.WriteString("- {}\n")
	}
	_, err = Parse([]byte(b.String()))
	require.EqualError(t, err, "1001 checks, over the limit of 1000")
}

func TestParseErrorsAreTyped(t *testing.T) {
	_, err := Parse([]byte("- {name: api, type: http}\n- {type: tcp, address: 'x:1'}"))
	require.Error(t, err)
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok)
	var got []Error
	for _, e := range joined.Unwrap() {
		var ce *Error
		require.True(t, errors.As(e, &ce))
		got = append(got, *ce)
	}
	assert.Equal(t, []Error{
		{Name: "api", Index: 1, Field: "url", Problem: `required for type "http"`},
		{Index: 2, Field: "name", Problem: "required"},
	}, got)
}

// TestRegistryCoversCheck keeps the registry and Check in step: every Check field
// is common or belongs to at least one type, and every registered field exists.
func TestRegistryCoversCheck(t *testing.T) {
	checkFields := jsonFields(reflect.TypeFor[Check]())
	used := map[string]bool{}
	for f := range commonFields {
		used[f] = true
	}
	for typ, ct := range checkTypes {
		for _, f := range ct.fields {
			_, ok := checkFields[f]
			assert.True(t, ok, "type %s lists field %q that Check lacks", typ, f)
			assert.False(t, commonFields[f], "type %s lists common field %q", typ, f)
			used[f] = true
		}
		assert.NotNil(t, ct.defaults, typ)
		assert.NotNil(t, ct.validate, typ)
	}
	for f := range checkFields {
		assert.True(t, used[f], "Check field %q is in no type of the registry", f)
	}
	names := strings.Split(typeNames(), ", ")
	assert.True(t, slices.IsSorted(names))
	assert.Len(t, names, 5)
	assert.Equal(t, []Type{TypeDNS, TypeGRPC, TypeHTTP, TypeTCP, TypeTLS}, Types())
}

// FuzzParse feeds arbitrary annotations to Parse: it must never panic, what it
// accepts must name no file in meshprobe's own key and token directories, and it
// must survive a JSON round trip unchanged.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(`[{"name":"a","type":"grpc","address":"h:1","tls":{}}]`))
	f.Add([]byte("- &a {name: x}\n- *a\n"))
	f.Add([]byte("- {name: k, type: http, url: 'http://h/', bearerTokenFile: /etc/meshprobe/x/../gossip//keys}\n"))
	f.Add([]byte("- {name: n, type: tcp, address: 'h:1', runOn: 'w[a-c]*-?$', displayName: 'D', description: d, labels: {team: a}}\n"))
	f.Add([]byte("- {name: n, type: dns, query: x.org, runOn: $, labels: {__x: a, check: b, t: '\\xff'}}\n"))
	f.Add([]byte(`[{"name":"n","type":"grpc","address":"h:1","runOn":"*","labels":{"a":"1","b":"2"},"displayName":"\u00e9\u200b"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := Parse(data)
		if err != nil {
			if specs != nil {
				t.Fatalf("specs %v with error %v", specs, err)
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		for _, s := range specs {
			assertNoProtectedFile(t, s)
			assertBounded(t, s)
		}
		assertLabelUnion(t, specs)
		again, err := json.Marshal(specs)
		if err != nil {
			t.Fatal(err)
		}
		specs2, err := Parse(again)
		if err != nil {
			t.Fatalf("re-parsing accepted specs: %v\n%s", err, again)
		}
		if len(specs) > 0 && !reflect.DeepEqual(specs, specs2) {
			t.Fatalf("round trip changed specs:\n%+v\n%+v", specs, specs2)
		}
	})
}

// assertNoProtectedFile fails when an accepted check reads a file in a
// protected directory.
func assertNoProtectedFile(t *testing.T, s Check) {
	t.Helper()
	files := []string{s.BearerTokenFile}
	if s.BasicAuth != nil {
		files = append(files, s.BasicAuth.PasswordFile)
	}
	if s.TLS != nil {
		files = append(files, s.TLS.CAFile)
	}
	for _, f := range files {
		if dir, _, ok := ProtectedDir(f); ok && f != "" {
			t.Fatalf("check %q reads %q, in %s", s.Name, f, dir)
		}
	}
}

// assertBounded fails when an accepted check has a runOn that Validate refuses
// or descriptive fields over their bounds.
func assertBounded(t *testing.T, s Check) {
	t.Helper()
	if err := s.RunOn.Validate(); err != nil {
		t.Fatalf("check %q: accepted %v", s.Name, err)
	}
	s.RunOn.Selects("node-1") // must not panic
	if len(s.DisplayName) > MaxDisplayNameBytes || strings.ContainsAny(s.DisplayName, "\n\r\t") ||
		len(s.Description) > MaxDescriptionBytes || len(s.Labels) > MaxLabels {
		t.Fatalf("check %q: descriptive fields over their bounds: %+v", s.Name, s)
	}
	for k, v := range s.Labels {
		if ReservedLabel(k) || !labelNameRE.MatchString(k) || len(v) > MaxLabelValueBytes {
			t.Fatalf("check %q: accepted label %q=%q", s.Name, k, v)
		}
	}
}

// assertLabelUnion fails when accepted checks use more than MaxLabels label
// names together: meshprobe_check_info would grow past its bound.
func assertLabelUnion(t *testing.T, specs []Check) {
	t.Helper()
	names := map[string]bool{}
	for _, s := range specs {
		for k := range s.Labels {
			names[k] = true
		}
	}
	if len(names) > MaxLabels {
		t.Fatalf("%d distinct label names accepted", len(names))
	}
}

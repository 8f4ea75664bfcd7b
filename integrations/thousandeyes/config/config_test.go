package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseK8sThousandEyesExample(t *testing.T) {
	data, err := os.ReadFile("testdata/k8s-thousandeyes.yaml")
	require.NoError(t, err)
	f, err := Parse(data)
	require.NoError(t, err)
	require.Len(t, f.HTTPTests, 1)
	tt := f.HTTPTests[0]
	assert.False(t, f.DryRun)
	assert.False(t, f.Prune)
	assert.Equal(t, "The name of your test here", tt.TestName)
	assert.Equal(t, 600, tt.Interval)
	assert.False(t, *tt.Enabled)
	assert.True(t, *tt.VerifyCertificate)
	assert.Equal(t, 10, *tt.HTTPTimeLimit)
	assert.Equal(t, []Ref{"32"}, tt.Agents)
	assert.Equal(t, []Ref{"1111111", "2222222"}, tt.AlertRules)
	assert.Equal(t, []string{"My-custom-header: somevaluehere"}, tt.Headers)
}

func TestParseDefaultsAndRefs(t *testing.T) {
	data, err := os.ReadFile("testdata/minimal.yaml")
	require.NoError(t, err)
	f, err := Parse(data)
	require.NoError(t, err)
	tt := f.HTTPTests[0]
	assert.True(t, f.Prune)
	assert.Equal(t, []Ref{"3", "Tokyo, Japan"}, tt.Agents, "YAML numbers are IDs")
	assert.True(t, tt.Agents[0].IsID())
	assert.False(t, tt.Agents[1].IsID())
	assert.Nil(t, tt.AlertRules, "omitted alertRules stays nil: the account's defaults apply")
	assert.Equal(t, DefaultEnabled, *tt.Enabled)
	assert.Equal(t, DefaultAlertsEnabled, *tt.AlertsEnabled)
	assert.Equal(t, DefaultHTTPTargetTime, *tt.HTTPTargetTime)
	assert.Equal(t, DefaultHTTPTimeLimit, *tt.HTTPTimeLimit)
}

func TestParseInvalid(t *testing.T) {
	want := map[string]string{
		"interval.yaml":      `httpTests[0] ("a"): interval: 45 is not one of`,
		"agents.yaml":        `httpTests[0] ("a"): agents: at least one is required`,
		"url.yaml":           `httpTests[0] ("a"): url: "ftp://x" is not an absolute http or https URL`,
		"testname.yaml":      `httpTests[0]: testName: required`,
		"duplicate.yaml":     `httpTests[1] ("a"): testName: duplicate of httpTests[0]`,
		"unknown-field.yaml": `config.yaml: unknown field "intervall"`,
		"timelimit.yaml":     `httpTests[0] ("a"): httpTimeLimit: 90 is outside 5-60`,
		"targettime.yaml":    `httpTests[0] ("a"): httpTargetTime: 10 is outside 100-5000`,
		"headers.yaml":       `httpTests[0] ("a"): headers[0]: "no colon" is not "Name: value"`,
		"marker.yaml":        `httpTests[0] ("a"): description: must not contain "[meshprobe "`,
		"syntax.yaml":        `config.yaml: error converting YAML to JSON`,
		"interval-type.yaml": `config.yaml: cannot unmarshal string into Go struct field HTTPTest.httpTests.interval`,
		"agent-type.yaml":    `want an ID or a name`,
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(want), "every invalid fixture has an expected error")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			_, err = Parse(data)
			require.Error(t, err)
			assert.Contains(t, err.Error(), want[filepath.Base(file)])
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse(make([]byte, MaxSize+1))
	require.ErrorContains(t, err, "exceeds")
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/k8s-thousandeyes.yaml", "testdata/minimal.yaml"} {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("httpTests: [{testName: a, url: 'https://x', interval: 60, agents: [1]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(data)
		if err != nil {
			return
		}
		require.NoError(t, file.Validate(), "a parsed file validates")
		for _, tt := range file.HTTPTests {
			require.NotEmpty(t, tt.TestName)
			require.NotEmpty(t, tt.Agents)
			require.NotNil(t, tt.Enabled)
			require.NotNil(t, tt.HTTPTimeLimit)
		}
	})
}

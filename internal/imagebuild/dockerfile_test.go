package imagebuild

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parseFile(t *testing.T, name, target string, args map[string]string) (Stage, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	return ParseDockerfile(f, target, args)
}

func TestParseDockerfile(t *testing.T) {
	app := Stage{
		Name: "app",
		Base: DistrolessStaticNonroot,
		Copies: []Copy{
			{From: "build", Sources: []string{"/out/app"}, Dest: "/app"},
			{From: "build", Sources: []string{"/out/tool", "/out/other"}, Dest: "/bin/", Chmod: "0500", Chown: "65532:65532"},
		},
		User:         "65532:65532",
		Entrypoint:   []string{"/app"},
		Cmd:          []string{"--serve"}, // set in the same stage before ENTRYPOINT: kept
		WorkingDir:   "/srv/data",
		Env:          []string{"GREETING=hello", "MODE=v9"},
		ExposedPorts: []string{"7946/udp", "8080/tcp"}, // buildkit sorts EXPOSE
		Labels:       map[string]string{"org.opencontainers.image.version": "v9", "team": "probes"},
	}
	debug := app
	debug.Name = "debug"
	debug.Env = []string{"GREETING=hello", "MODE=debug"}
	debug.Entrypoint = []string{"/app", "--debug"}
	debug.Cmd = nil // an inherited CMD is reset by ENTRYPOINT

	appDefault := app
	appDefault.Env = []string{"GREETING=hello", "MODE=dev"}
	appDefault.Labels = map[string]string{"org.opencontainers.image.version": "dev", "team": "probes"}

	for _, tc := range []struct {
		name, target string
		args         map[string]string
		want         Stage
	}{
		{"target with build args", "app", map[string]string{"VERSION": "v9"}, app},
		{"ARG defaults", "app", nil, appDefault},
		{"last stage, FROM an earlier stage", "", map[string]string{"VERSION": "v9"}, debug},
		{"target by name", "debug", map[string]string{"VERSION": "v9"}, debug},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFile(t, "stages.Dockerfile", tc.target, tc.args)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseDockerfileErrors(t *testing.T) {
	for _, tc := range []struct{ file, target, want string }{
		{"run-in-final.Dockerfile", "", "line 2: RUN is not supported: it needs a builder"},
		{"shell-entrypoint.Dockerfile", "", "line 2: ENTRYPOINT in shell form"},
		{"shell-cmd.Dockerfile", "", "line 2: CMD in shell form"},
		{"stages.Dockerfile", "nosuch", `the Dockerfile has no stage "nosuch"`},
	} {
		t.Run(tc.file+"/"+tc.target, func(t *testing.T) {
			_, err := parseFile(t, tc.file, tc.target, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("empty", func(t *testing.T) {
		_, err := ParseDockerfile(strings.NewReader("# nothing\n"), "", nil)
		require.Error(t, err)
	})
	t.Run("a build stage may RUN", func(t *testing.T) {
		_, err := parseFile(t, "stages.Dockerfile", "build", nil)
		require.Error(t, err, "the build stage itself is not an image this package can make")
		_, err = parseFile(t, "stages.Dockerfile", "app", nil)
		require.NoError(t, err, "but a stage that only copies from it is")
	})
}

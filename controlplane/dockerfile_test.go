package controlplane

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerfiles reads the two Dockerfiles (no Docker engine needed) and checks
// the build rules they must keep, in order.
func TestDockerfiles(t *testing.T) {
	for _, name := range []string{"webhook", "sidecar"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("..", "Dockerfile."+name))
			require.NoError(t, err)
			text := string(data)
			order := []string{
				"FROM golang:",
				"COPY go.mod go.sum ./",
				"RUN go mod download",
				"COPY . .",
				"CGO_ENABLED=0",
				"go build -trimpath",
				`-ldflags "-s -w -X github.com/meshprobe/meshprobe/internal/buildinfo.version=${VERSION}"`,
				"./cmd/meshprobe-" + name,
				"FROM gcr.io/distroless/static-debian12:nonroot",
				"USER 65532:65532",
				`ENTRYPOINT ["/meshprobe-` + name + `"]`,
			}
			at := 0
			for _, want := range order {
				i := strings.Index(text[at:], want)
				require.GreaterOrEqual(t, i, 0, "Dockerfile.%s: %q missing or out of order", name, want)
				at += i + len(want)
			}
			assert.Equal(t, 2, strings.Count(text, "\nFROM "), "multi-stage: a build stage and a runtime stage")
		})
	}
}

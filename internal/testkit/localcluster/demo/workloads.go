package demo

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"

	"github.com/meshprobe/meshprobe/internal/testkit/localcluster"
	"github.com/meshprobe/meshprobe/internal/testkit/localcluster/install"
)

//go:embed workloads.yaml
var workloadsYAML []byte

func apply(ctx context.Context, c *localcluster.Cluster, log *slog.Logger) error {
	objs, err := install.Decode(workloadsYAML)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return install.Apply(ctx, c.Config, objs, install.Options{Logger: log})
}

package imagescmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/meshprobe/meshprobe/internal/imagebuild"
)

// push pushes the wanted published images, one index each, and prints each
// pushed ref with its digest on stdout.
func push(ctx context.Context, log *slog.Logger, o options, stdout io.Writer) error {
	platforms, err := imagebuild.ParsePlatforms(o.platforms)
	if err != nil {
		return err
	}
	names := o.names()
	if len(names) == 0 {
		names = imagebuild.PublishedImages()
	}
	po := imagebuild.PushOptions{Platforms: platforms, Insecure: o.insecure}
	for _, n := range names {
		start := time.Now()
		pushed, err := o.Push(ctx, n, po)
		if err != nil {
			return err
		}
		for _, p := range pushed {
			fmt.Fprintf(stdout, "%s@%s\n", p.Ref, p.Digest)
		}
		log.Info("image pushed", "image", n, "platforms", o.platforms, "refs", len(pushed),
			"took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

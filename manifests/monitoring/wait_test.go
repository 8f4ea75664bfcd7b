package monitoring

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/common/model"

	"github.com/meshprobe/meshprobe/internal/testkit/promtest"
)

// poll calls f every 500 ms until it returns nil or ctx ends (its last error is returned).
func poll(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// waitTimeout bounds each wait for one expression, so one missing series cannot use up
// the time of all the others.
const waitTimeout = 30 * time.Second

// waitSeries polls sel until it returns series (at most waitTimeout).
func waitSeries(ctx context.Context, prom *promtest.Server, sel string) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	_, err := prom.WaitForSeries(ctx, sel)
	return err
}

// waitFinite polls expr until it returns a series with a finite value (at most
// waitTimeout).
func waitFinite(ctx context.Context, prom *promtest.Server, expr string) (model.Vector, error) {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	var out model.Vector
	err := poll(ctx, func() error {
		v, err := prom.Instant(ctx, expr)
		if err != nil {
			return err
		}
		for _, s := range v {
			if f := float64(s.Value); !math.IsNaN(f) && !math.IsInf(f, 0) {
				out = v
				return nil
			}
		}
		return fmt.Errorf("%d series, none with a finite value", len(v))
	})
	return out, err
}

// waitNone polls expr until it returns no series (at most waitTimeout).
func waitNone(ctx context.Context, prom *promtest.Server, expr string) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	return poll(ctx, func() error {
		v, err := prom.Instant(ctx, expr)
		if err == nil && len(v) > 0 {
			err = fmt.Errorf("%s: %v", expr, v)
		}
		return err
	})
}

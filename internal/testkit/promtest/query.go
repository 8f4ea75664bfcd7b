package promtest

import (
	"context"
	"fmt"
	"time"

	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Instant evaluates expr at the current time and returns the result as a vector. A
// scalar result becomes a one-element vector; a matrix result is an error.
func (s *Server) Instant(ctx context.Context, expr string) (model.Vector, error) {
	v, warnings, _, err := s.API.Query(ctx, expr, time.Now())
	if err != nil {
		return nil, fmt.Errorf("query %q: %w", expr, err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("query %q: warnings %v", expr, warnings)
	}
	switch r := v.(type) {
	case model.Vector:
		return r, nil
	case *model.Scalar:
		return model.Vector{{Value: r.Value, Timestamp: r.Timestamp}}, nil
	default:
		return nil, fmt.Errorf("query %q: unexpected result type %s", expr, v.Type())
	}
}

// Range evaluates expr over [end-window, end] at step resolution, where end is now
// truncated to a multiple of step, so queries made within one step share timestamps.
func (s *Server) Range(ctx context.Context, expr string, window, step time.Duration) (model.Matrix, error) {
	end := time.Now().Truncate(step)
	v, warnings, _, err := s.API.QueryRange(ctx, expr, promv1.Range{Start: end.Add(-window), End: end, Step: step})
	if err != nil {
		return nil, fmt.Errorf("range query %q: %w", expr, err)
	}
	if len(warnings) > 0 {
		return nil, fmt.Errorf("range query %q: warnings %v", expr, warnings)
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("range query %q: unexpected result type %s", expr, v.Type())
	}
	return m, nil
}

// WaitForSeries polls expr every 500 ms until it returns at least one series (the
// result is returned) or ctx ends (the last error, or "no series", is returned).
func (s *Server) WaitForSeries(ctx context.Context, expr string) (model.Vector, error) {
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := s.Instant(ctx, expr)
		if err == nil && len(v) > 0 {
			return v, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("query %q: no series", expr)
			}
			return nil, fmt.Errorf("waiting for series: %w", err)
		case <-tick.C:
		}
	}
}

package dashrender

import (
	"fmt"
	"math"
	"strconv"
)

// formatValue renders v in a Grafana unit: s (auto µs/ms/s), percentunit, reqps, ops,
// d (days) and short (k/M suffixes).
func formatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	switch unit {
	case "s":
		return formatSeconds(v)
	case "percentunit":
		return trim(v*100, 1) + "%"
	case "reqps":
		return short(v) + " req/s"
	case "ops":
		return short(v) + " ops/s"
	case "d":
		return trim(v, 0) + " days"
	default:
		return short(v)
	}
}

func formatSeconds(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0 s"
	case a < 1e-3:
		return trim(v*1e6, 0) + " µs"
	case a < 1:
		return trim(v*1e3, 2) + " ms"
	default:
		return trim(v, 2) + " s"
	}
}

// short renders v with a k or M suffix and at most three significant digits.
func short(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return trim(v/1e6, 2) + "M"
	case a >= 1e3:
		return trim(v/1e3, 2) + "k"
	case a == 0 || a >= 10:
		return trim(v, 1)
	default:
		return trim(v, 3)
	}
}

// trim formats v with at most prec decimals and no trailing zeros.
func trim(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if prec > 0 {
		for s[len(s)-1] == '0' {
			s = s[:len(s)-1]
		}
		if s[len(s)-1] == '.' {
			s = s[:len(s)-1]
		}
	}
	return s
}

// niceTicks returns about n evenly spaced round tick values covering [lo, hi].
func niceTicks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// describe is a debugging helper used in error messages.
func describe(kind, title string) string { return fmt.Sprintf("%s panel %q", kind, title) }

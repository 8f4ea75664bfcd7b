package dashrender

import (
	"image"
	"math"
	"sort"
	"time"
)

// drawTimeseries draws lines (or stacked areas) with a y axis, time axis and a legend table
// of last and max values on the right.
func drawTimeseries(c *canvas, p Panel, ss []series, area image.Rectangle) {
	unit := p.FieldConfig.Defaults.Unit
	times, grid := align(ss)
	stackedMode := p.FieldConfig.Defaults.Custom.Stacking.Mode == "normal"
	if stackedMode {
		grid = cumulate(grid)
	}
	legendW := min(area.Dx()*45/100, 360)
	plot := image.Rect(area.Min.X+62, area.Min.Y+4, area.Max.X-legendW-10, area.Max.Y-20)
	lo, hi := bounds(grid)
	ticks := niceTicks(lo, hi, max(2, plot.Dy()/40))
	lo, hi = min(lo, ticks[0]), max(hi, ticks[len(ticks)-1])
	yOf := func(v float64) float64 { return float64(plot.Max.Y) - (v-lo)/(hi-lo)*float64(plot.Dy()) }
	xOf := func(i int) float64 {
		return float64(plot.Min.X) + float64(times[i].Sub(times[0]))/float64(max(1, times[len(times)-1].Sub(times[0])))*float64(plot.Dx())
	}
	for _, tv := range ticks {
		y := int(yOf(tv))
		c.fill(image.Rect(plot.Min.X, y, plot.Max.X, y+1), colGrid)
		c.text(c.f.small, plot.Min.X-6, y+4, formatValue(tv, unit), colMuted, 2)
	}
	timeAxis(c, plot, times)
	for k := len(ss) - 1; k >= 0; k-- {
		col := palette[k%len(palette)]
		pts := linePoints(grid[k], xOf, yOf)
		if stackedMode {
			base := make([]float64, len(times))
			if k > 0 {
				base = grid[k-1]
			}
			area := append(append([]pt{}, pts...), reversed(linePoints(base, xOf, yOf))...)
			c.polygon(area, withAlpha(col, 0.45))
		}
		c.polyline(pts, 1.5, col)
	}
	drawLegend(c, ss, unit, image.Rect(plot.Max.X+10, area.Min.Y, area.Max.X, area.Max.Y))
}

// align puts every series on the union of their timestamps (NaN where missing).
func align(ss []series) ([]time.Time, [][]float64) {
	idx := map[int64]int{}
	var times []time.Time
	for _, s := range ss {
		for _, t := range s.t {
			if _, ok := idx[t.UnixMilli()]; !ok {
				idx[t.UnixMilli()] = 0
				times = append(times, t)
			}
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for i, t := range times {
		idx[t.UnixMilli()] = i
	}
	grid := make([][]float64, len(ss))
	for k, s := range ss {
		grid[k] = make([]float64, len(times))
		for i := range grid[k] {
			grid[k][i] = nan
		}
		for i, t := range s.t {
			grid[k][idx[t.UnixMilli()]] = s.v[i]
		}
	}
	return times, grid
}

// cumulate stacks the series: row k becomes the sum of rows 0..k (NaN counts as 0).
func cumulate(grid [][]float64) [][]float64 {
	out := make([][]float64, len(grid))
	for k := range grid {
		out[k] = make([]float64, len(grid[k]))
		for i, v := range grid[k] {
			if math.IsNaN(v) {
				v = 0
			}
			if k > 0 {
				v += out[k-1][i]
			}
			out[k][i] = v
		}
	}
	return out
}

// bounds returns the y range to plot: from 0 (or the minimum, if negative) to the max.
func bounds(grid [][]float64) (lo, hi float64) {
	hi = math.Inf(-1)
	for _, row := range grid {
		for _, v := range row {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if math.IsInf(hi, -1) || hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

// linePoints maps values to points, skipping NaN.
func linePoints(vals []float64, xOf func(int) float64, yOf func(float64) float64) []pt {
	var out []pt
	for i, v := range vals {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, pt{xOf(i), yOf(v)})
		}
	}
	return out
}

func reversed(p []pt) []pt {
	out := make([]pt, len(p))
	for i := range p {
		out[i] = p[len(p)-1-i]
	}
	return out
}

// timeAxis writes HH:MM:SS labels under the plot.
func timeAxis(c *canvas, plot image.Rectangle, times []time.Time) {
	if len(times) == 0 {
		return
	}
	span := times[len(times)-1].Sub(times[0])
	n := max(2, plot.Dx()/110)
	for i := 0; i <= n; i++ {
		t := times[0].Add(span * time.Duration(i) / time.Duration(n))
		x := plot.Min.X + plot.Dx()*i/n
		c.fill(image.Rect(x, plot.Min.Y, x+1, plot.Max.Y), colGrid)
		align := 1
		if i == n {
			align = 2
		}
		c.text(c.f.small, x, plot.Max.Y+14, t.Format("15:04:05"), colMuted, align)
	}
}

// drawLegend lists the series with their colour, last and max values.
func drawLegend(c *canvas, ss []series, unit string, area image.Rectangle) {
	valW := 72
	nameW := area.Dx() - 2*valW - 16
	c.text(c.f.small, area.Max.X-valW-4, area.Min.Y+10, "Last", colMuted, 2)
	c.text(c.f.small, area.Max.X-4, area.Min.Y+10, "Max", colMuted, 2)
	y := area.Min.Y + 26
	for k, s := range ss {
		if y > area.Max.Y-2 {
			c.text(c.f.small, area.Min.X, y, "…", colMuted, 0)
			break
		}
		mx := nan
		for _, v := range s.v {
			if !math.IsNaN(v) && (math.IsNaN(mx) || v > mx) {
				mx = v
			}
		}
		c.fill(image.Rect(area.Min.X, y-8, area.Min.X+12, y-5), palette[k%len(palette)])
		c.text(c.f.small, area.Min.X+16, y, c.clip(c.f.small, s.name, nameW), colText, 0)
		c.text(c.f.small, area.Max.X-valW-4, y, formatValue(s.last(), unit), colText, 2)
		c.text(c.f.small, area.Max.X-4, y, formatValue(mx, unit), colText, 2)
		y += 16
	}
}

package dashrender

import (
	"image"
	"image/color"
	"math"
	"sort"
)

// spectral is d3's Spectral scheme, reversed: low values blue, high values red.
var spectral = []color.RGBA{
	{0x5e, 0x4f, 0xa2, 0xff}, {0x32, 0x88, 0xbd, 0xff}, {0x66, 0xc2, 0xa5, 0xff}, {0xab, 0xdd, 0xa4, 0xff},
	{0xe6, 0xf5, 0x98, 0xff}, {0xff, 0xff, 0xbf, 0xff}, {0xfe, 0xe0, 0x8b, 0xff}, {0xfd, 0xae, 0x61, 0xff},
	{0xf4, 0x6d, 0x43, 0xff}, {0xd5, 0x3e, 0x4f, 0xff}, {0x9e, 0x01, 0x42, 0xff},
}

// scheme interpolates the spectral scheme at t in [0, 1].
func scheme(t float64) color.RGBA {
	t = max(0, min(1, t)) * float64(len(spectral)-1)
	i := min(int(t), len(spectral)-2)
	f := t - float64(i)
	a, b := spectral[i], spectral[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// bucketRows turns cumulative `le` series into per-bucket rows, lowest bound first.
// It returns the upper bounds and rows[bucket][time]; empty buckets at either end are
// trimmed.
func bucketRows(ss []series) ([]float64, [][]float64, int) {
	type bucket struct {
		le  float64
		row int
	}
	var bs []bucket
	for k, s := range ss {
		if le, err := parseLe(string(s.labels["le"])); err == nil {
			bs = append(bs, bucket{le, k})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	_, grid := align(ss)
	les := make([]float64, len(bs))
	rows := make([][]float64, len(bs))
	for i, b := range bs {
		les[i] = b.le
		rows[i] = make([]float64, len(grid[b.row]))
		for t, v := range grid[b.row] {
			if i > 0 {
				v -= grid[bs[i-1].row][t]
			}
			if math.IsNaN(v) || v < 0 {
				v = 0
			}
			rows[i][t] = v
		}
	}
	first, last := -1, -1
	for i, row := range rows {
		for _, v := range row {
			if v > 0 {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	if first < 0 {
		return nil, nil, 0
	}
	cols := 0
	if len(rows) > 0 {
		cols = len(rows[0])
	}
	return les[first : last+1], rows[first : last+1], cols
}

// drawHeatmap draws histogram buckets over time, one row per bucket, coloured by rate on an
// exponential (square-root) scale; empty cells stay dark.
func drawHeatmap(c *canvas, _ Panel, ss []series, area image.Rectangle) {
	les, rows, cols := bucketRows(ss)
	if len(rows) == 0 || cols == 0 {
		noData(c, area)
		return
	}
	times, _ := align(ss)
	hi := 0.0
	for _, row := range rows {
		for _, v := range row {
			hi = max(hi, v)
		}
	}
	plot := image.Rect(area.Min.X+78, area.Min.Y+4, area.Max.X-4, area.Max.Y-20)
	rowH := float64(plot.Dy()) / float64(len(rows))
	colW := float64(plot.Dx()) / float64(cols)
	timeAxis(c, plot, times)
	for i, row := range rows {
		y1 := plot.Max.Y - int(float64(i)*rowH)
		y0 := plot.Max.Y - int(float64(i+1)*rowH)
		for t, v := range row {
			if v <= 0 {
				continue
			}
			x0 := plot.Min.X + int(float64(t)*colW)
			x1 := plot.Min.X + int(float64(t+1)*colW)
			c.fill(image.Rect(x0, y0+1, max(x0+1, x1-1), y1), scheme(math.Sqrt(v/hi)))
		}
	}
	every := max(1, int(math.Ceil(16/rowH)))
	for i, le := range les {
		if i%every != 0 && i != len(les)-1 {
			continue
		}
		y := plot.Max.Y - int((float64(i)+0.5)*rowH) + 4
		label := "≤ " + formatSeconds(le)
		if math.IsInf(le, 1) {
			label = "+Inf"
		}
		c.text(c.f.small, plot.Min.X-6, y, label, colMuted, 2)
	}
	colourScale(c, image.Rect(area.Max.X-160, area.Min.Y-20, area.Max.X-50, area.Min.Y-12), hi)
}

// colourScale draws the colour legend from 0 to hi (probes/s).
func colourScale(c *canvas, r image.Rectangle, hi float64) {
	for x := r.Min.X; x < r.Max.X; x++ {
		t := float64(x-r.Min.X) / float64(r.Dx())
		c.fill(image.Rect(x, r.Min.Y, x+1, r.Max.Y), scheme(math.Sqrt(t)))
	}
	c.text(c.f.small, r.Min.X-6, r.Max.Y, "probes/s  0", colMuted, 2)
	c.text(c.f.small, r.Max.X+6, r.Max.Y, formatValue(hi, "short"), colMuted, 0)
}

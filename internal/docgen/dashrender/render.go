package dashrender

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"math"
	"time"
)

var nan = math.NaN()

// Options say how to query and how large to draw.
type Options struct {
	// Vars are the template variable values, e.g. {"namespace": ".*"}.
	Vars map[string]string
	// RateInterval replaces $__rate_interval; default "1m".
	RateInterval string
	// Window and Step are the time range and resolution of range queries; default 10m, 5s.
	Window, Step time.Duration
	// ColumnWidth and RowHeight are the pixels of one grid unit; default 80 and 32.
	ColumnWidth, RowHeight int
}

func (o *Options) defaults() {
	if o.RateInterval == "" {
		o.RateInterval = "1m"
	}
	if o.Window == 0 {
		o.Window = 10 * time.Minute
	}
	if o.Step == 0 {
		o.Step = 5 * time.Second
	}
	if o.ColumnWidth == 0 {
		o.ColumnWidth = 80
	}
	if o.RowHeight == 0 {
		o.RowHeight = 32
	}
}

// renderer draws panels with one set of options and fonts.
type renderer struct {
	q    Querier
	opts Options
	f    fonts
}

func newRenderer(q Querier, opts Options) (*renderer, error) {
	opts.defaults()
	f, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return &renderer{q: q, opts: opts, f: f}, nil
}

func (r *renderer) expand(expr string) string {
	return Expand(expr, r.opts.Vars, r.opts.RateInterval)
}

// RenderPanel renders one panel at its gridPos size.
func RenderPanel(ctx context.Context, q Querier, p Panel, opts Options) (*image.RGBA, error) {
	r, err := newRenderer(q, opts)
	if err != nil {
		return nil, err
	}
	return r.panel(ctx, p)
}

// RenderDashboard renders every panel of d in its place on the grid, rows as section titles.
func RenderDashboard(ctx context.Context, q Querier, d Dashboard, opts Options) (*image.RGBA, error) {
	r, err := newRenderer(q, opts)
	if err != nil {
		return nil, err
	}
	bottom := 0
	for _, p := range d.Panels {
		bottom = max(bottom, p.GridPos.Y+p.GridPos.H)
	}
	cw, rh := r.opts.ColumnWidth, r.opts.RowHeight
	img := image.NewRGBA(image.Rect(0, 0, 24*cw, bottom*rh))
	draw.Draw(img, img.Bounds(), image.NewUniform(colBackground), image.Point{}, draw.Src)
	for _, p := range d.Panels {
		pi, err := r.panel(ctx, p)
		if err != nil {
			return nil, err
		}
		at := image.Pt(p.GridPos.X*cw, p.GridPos.Y*rh)
		draw.Draw(img, pi.Bounds().Add(at), pi, image.Point{}, draw.Src)
	}
	return img, nil
}

// panel draws p's frame and title, then its content by panel type.
func (r *renderer) panel(ctx context.Context, p Panel) (*image.RGBA, error) {
	w, h := p.GridPos.W*r.opts.ColumnWidth, p.GridPos.H*r.opts.RowHeight
	c := &canvas{img: image.NewRGBA(image.Rect(0, 0, w, h)), f: r.f}
	c.fill(c.img.Bounds(), colBackground)
	if p.Type == "row" {
		c.text(r.f.title, 6, h-10, p.Title, colText, 0)
		c.fill(image.Rect(0, h-2, w, h-1), colBorder)
		return c.img, nil
	}
	inner := image.Rect(3, 3, w-3, h-3)
	c.fill(inner, colBorder)
	c.fill(inner.Inset(1), colPanel)
	c.text(r.f.title, inner.Min.X+10, inner.Min.Y+20, c.clip(r.f.title, p.Title, inner.Dx()-20), colText, 0)
	content := image.Rect(inner.Min.X+8, inner.Min.Y+30, inner.Max.X-8, inner.Max.Y-6)
	draw, ok := drawers[p.Type]
	if !ok {
		return c.img, fmt.Errorf("dashrender: %s: unsupported panel type", describe(p.Type, p.Title))
	}
	fetch := r.instant
	if p.Type == "timeseries" || p.Type == "heatmap" {
		fetch = r.rangeSeries
	}
	ss, err := fetch(ctx, p)
	if err != nil {
		return c.img, err
	}
	if len(ss) == 0 {
		noData(c, content)
		return c.img, nil
	}
	draw(c, p, ss, content)
	return c.img, nil
}

// drawers draw a panel's content from its query results, by panel type. Time series
// and heatmaps get range results, the others instant results.
var drawers = map[string]func(c *canvas, p Panel, ss []series, area image.Rectangle){
	"timeseries": drawTimeseries,
	"heatmap":    drawHeatmap,
	"table":      drawTableOrMatrix,
	"bargauge":   drawBargauge,
	"stat":       drawStat,
}

// noData writes Grafana's "No data" in the middle of the content area.
func noData(c *canvas, area image.Rectangle) {
	c.text(c.f.regular, (area.Min.X+area.Max.X)/2, (area.Min.Y+area.Max.Y)/2, "No data", colMuted, 1)
}

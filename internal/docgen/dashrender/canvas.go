package dashrender

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// Grafana dark theme colours.
var (
	colBackground = color.RGBA{0x11, 0x12, 0x17, 0xff}
	colPanel      = color.RGBA{0x18, 0x1b, 0x1f, 0xff}
	colBorder     = color.RGBA{0x2c, 0x30, 0x35, 0xff}
	colGrid       = color.RGBA{0x26, 0x29, 0x2e, 0xff}
	colText       = color.RGBA{0xcc, 0xcc, 0xdc, 0xff}
	colMuted      = color.RGBA{0x8e, 0x8e, 0xa0, 0xff}
)

// fonts are the faces a canvas draws text with.
type fonts struct {
	regular, small, title, big font.Face
}

// loadFonts parses the Go fonts at the sizes the panels use.
func loadFonts() (fonts, error) {
	reg, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("dashrender: parsing font: %w", err)
	}
	med, err := opentype.Parse(gomedium.TTF)
	if err != nil {
		return fonts{}, fmt.Errorf("dashrender: parsing font: %w", err)
	}
	face := func(f *opentype.Font, size float64) font.Face {
		ff, _ := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		return ff
	}
	return fonts{regular: face(reg, 13), small: face(reg, 11), title: face(med, 14), big: face(med, 34)}, nil
}

// canvas is an RGBA image with drawing helpers.
type canvas struct {
	img *image.RGBA
	f   fonts
}

func (c *canvas) fill(r image.Rectangle, col color.Color) {
	draw.Draw(c.img, r, image.NewUniform(col), image.Point{}, draw.Over)
}

// text draws s with its baseline at y; align is 0 left, 1 centre, 2 right of x.
func (c *canvas) text(face font.Face, x, y int, s string, col color.Color, align int) {
	d := &font.Drawer{Dst: c.img, Src: image.NewUniform(col), Face: face}
	w := d.MeasureString(s).Round()
	x -= align * w / 2
	d.Dot = fixed.P(x, y)
	d.DrawString(s)
}

// textWidth is the width of s in pixels.
func (c *canvas) textWidth(face font.Face, s string) int {
	return font.MeasureString(face, s).Round()
}

// clip shortens s with an ellipsis until it fits in w pixels.
func (c *canvas) clip(face font.Face, s string, w int) string {
	if c.textWidth(face, s) <= w {
		return s
	}
	r := []rune(s)
	for len(r) > 1 && c.textWidth(face, string(r)+"…") > w {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// pt is a point in image coordinates.
type pt struct{ x, y float64 }

// polyline strokes pts with an anti-aliased line of the given width.
func (c *canvas) polyline(pts []pt, width float64, col color.Color) {
	if len(pts) < 2 {
		return
	}
	b := c.img.Bounds()
	r := vector.NewRasterizer(b.Dx(), b.Dy())
	for i := 1; i < len(pts); i++ {
		a, z := pts[i-1], pts[i]
		dx, dy := z.x-a.x, z.y-a.y
		l := math.Hypot(dx, dy)
		if l == 0 {
			continue
		}
		nx, ny := -dy/l*width/2, dx/l*width/2
		r.MoveTo(float32(a.x+nx), float32(a.y+ny))
		r.LineTo(float32(z.x+nx), float32(z.y+ny))
		r.LineTo(float32(z.x-nx), float32(z.y-ny))
		r.LineTo(float32(a.x-nx), float32(a.y-ny))
		r.ClosePath()
	}
	r.Draw(c.img, b, image.NewUniform(col), image.Point{})
}

// polygon fills the closed shape pts, anti-aliased.
func (c *canvas) polygon(pts []pt, col color.Color) {
	if len(pts) < 3 {
		return
	}
	b := c.img.Bounds()
	r := vector.NewRasterizer(b.Dx(), b.Dy())
	r.MoveTo(float32(pts[0].x), float32(pts[0].y))
	for _, p := range pts[1:] {
		r.LineTo(float32(p.x), float32(p.y))
	}
	r.ClosePath()
	r.Draw(c.img, b, image.NewUniform(col), image.Point{})
}

// withAlpha returns col at the given opacity (0..1), premultiplied.
func withAlpha(col color.RGBA, a float64) color.RGBA {
	return color.RGBA{uint8(float64(col.R) * a), uint8(float64(col.G) * a), uint8(float64(col.B) * a), uint8(255 * a)}
}

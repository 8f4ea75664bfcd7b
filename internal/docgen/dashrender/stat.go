package dashrender

import (
	"image"
	"math"
)

// drawBargauge draws one horizontal bar per series, scaled to the largest value and
// coloured by thresholds.
func drawBargauge(c *canvas, p Panel, ss []series, area image.Rectangle) {
	unit := p.FieldConfig.Defaults.Unit
	hi := 0.0
	for _, s := range ss {
		hi = max(hi, s.last())
	}
	barH := min(28, (area.Dy()-4)/len(ss)-18)
	y := area.Min.Y + 14
	for _, s := range ss {
		v := s.last()
		c.text(c.f.small, area.Min.X, y, c.clip(c.f.small, s.name, area.Dx()-120), colText, 0)
		c.text(c.f.regular, area.Max.X, y, formatValue(v, unit), p.thresholdColor(v), 2)
		bar := image.Rect(area.Min.X, y+4, area.Max.X, y+4+max(6, barH))
		c.fill(bar, colGrid)
		if hi > 0 && !math.IsNaN(v) {
			bar.Max.X = bar.Min.X + int(float64(bar.Dx())*max(0, v)/hi)
			c.fill(bar, p.thresholdColor(v))
		}
		y += max(6, barH) + 22
		if y > area.Max.Y {
			break
		}
	}
}

// drawStat draws one big coloured number per series with its name.
func drawStat(c *canvas, p Panel, ss []series, area image.Rectangle) {
	w := area.Dx() / len(ss)
	for i, s := range ss {
		box := image.Rect(area.Min.X+i*w+2, area.Min.Y, area.Min.X+(i+1)*w-2, area.Max.Y)
		v := s.last()
		c.fill(box, p.thresholdColor(v))
		dark := colBackground
		mid := (box.Min.X + box.Max.X) / 2
		c.text(c.f.regular, mid, box.Min.Y+22, c.clip(c.f.regular, s.name, box.Dx()-10), dark, 1)
		c.text(c.f.big, mid, (box.Min.Y+box.Max.Y)/2+20, formatValue(v, p.FieldConfig.Defaults.Unit), dark, 1)
	}
}

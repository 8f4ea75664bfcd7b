package dashrender

import (
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/prometheus/common/model"
)

// drawTableOrMatrix draws an instant-query table (labels as columns, Value last) or, with a
// groupingToMatrix transformation, a rows x columns matrix coloured by thresholds.
func drawTableOrMatrix(c *canvas, p Panel, ss []series, area image.Rectangle) {
	if row, col, ok := p.matrixFields(); ok {
		drawMatrix(c, p, ss, row, col, area)
		return
	}
	drawTable(c, p, ss, area)
}

// cell is one table cell: its text and, when coloured, its background.
type cell struct {
	text string
	bg   *color.RGBA
}

// grid draws a header row and cells, with equal-width columns.
func grid(c *canvas, header []string, rows [][]cell, area image.Rectangle, firstColW int) {
	if len(header) == 0 {
		return
	}
	rowH := 22
	colW := (area.Dx() - firstColW) / max(1, len(header)-1)
	xOf := func(j int) int {
		if j == 0 {
			return area.Min.X
		}
		return area.Min.X + firstColW + (j-1)*colW
	}
	wOf := func(j int) int {
		if j == 0 {
			return firstColW
		}
		return colW
	}
	for j, h := range header {
		c.text(c.f.small, xOf(j)+6, area.Min.Y+14, c.clip(c.f.small, h, wOf(j)-10), colMuted, 0)
	}
	c.fill(image.Rect(area.Min.X, area.Min.Y+rowH-1, area.Max.X, area.Min.Y+rowH), colBorder)
	for i, row := range rows {
		y := area.Min.Y + (i+1)*rowH
		if y+rowH > area.Max.Y {
			c.text(c.f.small, area.Min.X+6, y+14, "…", colMuted, 0)
			return
		}
		for j, cl := range row {
			fg := color.Color(colText)
			if cl.bg != nil {
				c.fill(image.Rect(xOf(j)+1, y+1, xOf(j)+wOf(j)-1, y+rowH-1), *cl.bg)
				fg = color.RGBA{0x11, 0x12, 0x17, 0xff}
			}
			c.text(c.f.regular, xOf(j)+6, y+15, c.clip(c.f.regular, cl.text, wOf(j)-10), fg, 0)
		}
		c.fill(image.Rect(area.Min.X, y+rowH-1, area.Max.X, y+rowH), colGrid)
	}
}

// drawTable shows one row per series: the label values, then the (mapped) value.
// With a merge transformation it shows one row per label set instead, with a
// value column per query (drawMergedTable).
func drawTable(c *canvas, p Panel, ss []series, area image.Rectangle) {
	if refIDs, names, ok := p.mergedValueColumns(); ok {
		drawMergedTable(c, p, ss, refIDs, names, area)
		return
	}
	cols := p.labelColumns(ss)
	maps := p.valueMappings()
	var rows [][]cell
	for _, s := range ss {
		var row []cell
		for _, k := range cols {
			row = append(row, cell{text: string(s.labels[model.LabelName(k)])})
		}
		v := s.last()
		vc := cell{text: formatValue(v, p.FieldConfig.Defaults.Unit)}
		if m, ok := maps[strconv.FormatFloat(v, 'f', -1, 64)]; ok {
			col := m.col
			vc = cell{text: m.text, bg: &col}
		}
		rows = append(rows, append(row, vc))
	}
	header := append(append([]string{}, cols...), "status")
	grid(c, header, rows, area, area.Dx()/len(header))
}

// labelColumns lists the label names of ss that a table shows, sorted: all but
// the metric name and those an organize transformation hides.
func (p Panel) labelColumns(ss []series) []string {
	hidden := p.hiddenColumns()
	names := map[string]bool{}
	for _, s := range ss {
		for k := range s.labels {
			if !hidden[string(k)] && k != model.MetricNameLabel {
				names[string(k)] = true
			}
		}
	}
	return sortedKeys(names)
}

// drawMatrix pivots series into rowLabel x colLabel cells coloured by thresholds.
func drawMatrix(c *canvas, p Panel, ss []series, rowLabel, colLabel string, area image.Rectangle) {
	vals := map[[2]string]float64{}
	rowSet, colSet := map[string]bool{}, map[string]bool{}
	for _, s := range ss {
		rk, ck := string(s.labels[model.LabelName(rowLabel)]), string(s.labels[model.LabelName(colLabel)])
		rowSet[rk], colSet[ck] = true, true
		vals[[2]string{rk, ck}] = s.last()
	}
	rowKeys, colKeys := sortedKeys(rowSet), sortedKeys(colSet)
	header := append([]string{rowLabel + " \\ " + colLabel}, colKeys...)
	var rows [][]cell
	for _, rk := range rowKeys {
		row := []cell{{text: rk}}
		for _, ck := range colKeys {
			v, ok := vals[[2]string{rk, ck}]
			if !ok || math.IsNaN(v) {
				row = append(row, cell{text: "-"})
				continue
			}
			bg := p.thresholdColor(v)
			row = append(row, cell{text: formatValue(v, p.FieldConfig.Defaults.Unit), bg: &bg})
		}
		rows = append(rows, row)
	}
	grid(c, header, rows, area, min(220, area.Dx()/3))
}

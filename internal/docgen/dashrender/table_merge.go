package dashrender

import (
	"image"
	"math"
	"strings"

	"github.com/prometheus/common/model"
)

// mergedValueColumns reports whether p merges its queries' rows by their labels
// (Grafana's "merge" transformation, on more than one query), and returns the
// queries' refIds with their value columns' names: "Value #<refId>", or what an
// organize transformation renames it to.
func (p Panel) mergedValueColumns() (refIDs, names []string, ok bool) {
	merge := false
	rename := map[string]any{}
	for _, tr := range p.Transformations {
		switch tr.ID {
		case "merge":
			merge = true
		case "organize":
			if r, isMap := tr.Options["renameByName"].(map[string]any); isMap {
				rename = r
			}
		}
	}
	if !merge || len(p.Targets) < 2 {
		return nil, nil, false
	}
	for _, tg := range p.Targets {
		name := "Value #" + tg.RefID
		if to, isString := rename[name].(string); isString && to != "" {
			name = to
		}
		refIDs, names = append(refIDs, tg.RefID), append(names, name)
	}
	return refIDs, names, true
}

// drawMergedTable draws mergedRows under a header of the label columns and the
// value columns' names.
func drawMergedTable(c *canvas, p Panel, ss []series, refIDs, names []string, area image.Rectangle) {
	cols, rows := mergedRows(p, ss, refIDs)
	header := append(append([]string{}, cols...), names...)
	grid(c, header, rows, area, area.Dx()/len(header))
}

// mergedRows returns the visible label columns (sorted) and one row per label
// set of ss (in order of its values): the label values, then one value per
// query of refIDs, coloured by the panel's thresholds when it has any; "-"
// where a query has no series for the row.
func mergedRows(p Panel, ss []series, refIDs []string) ([]string, [][]cell) {
	cols := p.labelColumns(ss)
	values := map[string]map[string]float64{} // row key -> refId -> value
	keys := map[string][]string{}             // row key -> label values
	for _, s := range ss {
		var vals []string
		for _, k := range cols {
			vals = append(vals, string(s.labels[model.LabelName(k)]))
		}
		key := strings.Join(vals, "\x00")
		if values[key] == nil {
			values[key], keys[key] = map[string]float64{}, vals
		}
		values[key][s.refID] = s.last()
	}
	var rows [][]cell
	for _, k := range sortedKeys(keys) {
		var row []cell
		for _, v := range keys[k] {
			row = append(row, cell{text: v})
		}
		for _, id := range refIDs {
			v, ok := values[k][id]
			if !ok || math.IsNaN(v) {
				row = append(row, cell{text: "-"})
				continue
			}
			vc := cell{text: formatValue(v, p.FieldConfig.Defaults.Unit)}
			if len(p.FieldConfig.Defaults.Thresholds.Steps) > 0 {
				bg := p.thresholdColor(v)
				vc.bg = &bg
			}
			row = append(row, vc)
		}
		rows = append(rows, row)
	}
	return cols, rows
}

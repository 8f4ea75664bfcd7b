package dashrender

import (
	"encoding/json"
	"fmt"
	"image/color"
	"sort"
	"strconv"
)

// Dashboard is the part of a Grafana dashboard JSON that rendering needs.
type Dashboard struct {
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
}

// Panel is one Grafana panel as found in the dashboard JSON.
type Panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	GridPos         GridPos          `json:"gridPos"`
	FieldConfig     fieldConfig      `json:"fieldConfig"`
	Targets         []Target         `json:"targets"`
	Transformations []transformation `json:"transformations"`
}

// GridPos is a panel's place on the 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Target is one query of a panel.
type Target struct {
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Format       string `json:"format"`
	Instant      bool   `json:"instant"`
	RefID        string `json:"refId"`
}

type fieldConfig struct {
	Defaults struct {
		Unit       string `json:"unit"`
		Thresholds struct {
			Steps []step `json:"steps"`
		} `json:"thresholds"`
		Custom struct {
			Stacking struct {
				Mode string `json:"mode"`
			} `json:"stacking"`
		} `json:"custom"`
	} `json:"defaults"`
	Overrides []struct {
		Properties []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"properties"`
	} `json:"overrides"`
}

type step struct {
	Color string   `json:"color"`
	Value *float64 `json:"value"`
}

type transformation struct {
	ID      string         `json:"id"`
	Options map[string]any `json:"options"`
}

// ParseDashboard decodes dashboard JSON.
func ParseDashboard(raw []byte) (Dashboard, error) {
	var d Dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		return Dashboard{}, fmt.Errorf("dashrender: decoding dashboard: %w", err)
	}
	return d, nil
}

// namedColors are Grafana's names for its palette.
var namedColors = map[string]color.RGBA{
	"green":  {0x73, 0xbf, 0x69, 0xff},
	"red":    {0xf2, 0x49, 0x5c, 0xff},
	"orange": {0xff, 0x98, 0x30, 0xff},
	"yellow": {0xfa, 0xde, 0x2a, 0xff},
	"blue":   {0x57, 0x94, 0xf2, 0xff},
	"purple": {0xb8, 0x77, 0xd9, 0xff},
}

// palette is Grafana's classic series palette.
var palette = []color.RGBA{
	{0x73, 0xbf, 0x69, 0xff}, {0xfa, 0xde, 0x2a, 0xff}, {0x57, 0x94, 0xf2, 0xff},
	{0xff, 0x98, 0x30, 0xff}, {0xf2, 0x49, 0x5c, 0xff}, {0xb8, 0x77, 0xd9, 0xff},
	{0x6e, 0xd0, 0xe0, 0xff}, {0xef, 0x84, 0x3c, 0xff}, {0x1f, 0x78, 0xc1, 0xff},
	{0xba, 0x43, 0xa9, 0xff}, {0x50, 0x86, 0x42, 0xff}, {0xcc, 0xa3, 0x00, 0xff},
}

// thresholdColor is the colour of the highest step whose value is <= v.
func (p Panel) thresholdColor(v float64) color.RGBA {
	col := namedColors["green"]
	for _, s := range p.FieldConfig.Defaults.Thresholds.Steps {
		if s.Value == nil || v >= *s.Value {
			if c, ok := namedColors[s.Color]; ok {
				col = c
			}
		}
	}
	return col
}

// mapping is a value mapping: exact value -> text and colour.
type mapping struct {
	text string
	col  color.RGBA
}

// valueMappings collects the value mappings of the panel's overrides.
func (p Panel) valueMappings() map[string]mapping {
	out := map[string]mapping{}
	for _, o := range p.FieldConfig.Overrides {
		for _, prop := range o.Properties {
			if prop.ID != "mappings" {
				continue
			}
			var ms []struct {
				Options map[string]struct {
					Text  string `json:"text"`
					Color string `json:"color"`
				} `json:"options"`
			}
			if json.Unmarshal(prop.Value, &ms) != nil {
				continue
			}
			for _, m := range ms {
				for k, v := range m.Options {
					out[k] = mapping{text: v.Text, col: namedColors[v.Color]}
				}
			}
		}
	}
	return out
}

// hiddenColumns lists the columns an "organize" transformation excludes.
func (p Panel) hiddenColumns() map[string]bool {
	out := map[string]bool{}
	for _, tr := range p.Transformations {
		if ex, ok := tr.Options["excludeByName"].(map[string]any); ok && tr.ID == "organize" {
			for k := range ex {
				out[k] = true
			}
		}
	}
	return out
}

// matrixFields returns the row and column labels of a groupingToMatrix transformation.
func (p Panel) matrixFields() (row, col string, ok bool) {
	for _, tr := range p.Transformations {
		if tr.ID == "groupingToMatrix" {
			row, _ = tr.Options["rowField"].(string)
			col, _ = tr.Options["columnField"].(string)
			return row, col, row != "" && col != ""
		}
	}
	return "", "", false
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseLe parses a bucket bound ("+Inf" included).
func parseLe(s string) (float64, error) {
	return strconv.ParseFloat(s, 64)
}

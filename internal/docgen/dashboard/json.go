package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// JSON renders d as indented Grafana dashboard JSON with a trailing newline. HTML
// characters such as < and > are kept literal so PromQL stays readable.
func JSON(d Dashboard) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("dashboard: encoding JSON: %w", err)
	}
	return buf.Bytes(), nil
}

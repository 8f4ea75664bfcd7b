package realnode

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"strconv"
	"text/template"
)

//go:embed templates
var templateFS embed.FS

// templates holds the configuration files of a node's components. In them, q quotes a
// string for TOML, JSON and YAML alike (all accept a double-quoted string with Go's
// escapes for the paths and names used here).
var templates = template.Must(template.New("").Option("missingkey=error").
	Funcs(template.FuncMap{"q": strconv.Quote}).
	ParseFS(templateFS, "templates/*"))

// writeTemplate renders templates/name with data into path.
func writeTemplate(path, name string, data any) error {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("rendering %s: %w", name, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

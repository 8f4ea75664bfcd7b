package migrate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// markdownLinkRE finds the targets of markdown links.
var markdownLinkRE = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestMigrationPages: each tool convert reads has a page, linked from the
// index, whose relative links lead to files of the repository.
func TestMigrationPages(t *testing.T) {
	dir := filepath.Join("..", "docs", "migration")
	index, err := os.ReadFile(filepath.Join(dir, "README.md"))
	require.NoError(t, err)
	for _, page := range []string{"epsitter.md", "synthetic-heart.md", "k8s-network-prober-operator.md"} {
		assert.Contains(t, string(index), "]("+page+")", "the index does not link %s", page)
		data, err := os.ReadFile(filepath.Join(dir, page))
		require.NoError(t, err)
		assert.Contains(t, string(data), "meshprobe convert --from", "%s does not show the convert command", page)
		for _, m := range markdownLinkRE.FindAllStringSubmatch(string(data), -1) {
			target, _, _ := strings.Cut(m[1], "#")
			if strings.Contains(target, "://") || target == "" {
				continue
			}
			_, err := os.Stat(filepath.Join(dir, target))
			assert.NoError(t, err, "%s links to %s", page, m[1])
		}
	}
}

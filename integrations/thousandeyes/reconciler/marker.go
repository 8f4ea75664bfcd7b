package reconciler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
)

// Marker is the ownership mark in a test's description.
type Marker struct {
	// ID is "<namespace>/<configmap>/<escaped testName>".
	ID string
	// Hash is the content hash of the managed fields when the test was written.
	Hash string
}

var markerRE = regexp.MustCompile(`\[meshprobe id=([^\s\]]+) hash=([0-9a-f]+)\]`)

// ParseMarker finds the marker in a description.
func ParseMarker(description string) (Marker, bool) {
	m := markerRE.FindStringSubmatch(description)
	if m == nil {
		return Marker{}, false
	}
	return Marker{ID: m[1], Hash: m[2]}, true
}

// String renders the marker as it is written into descriptions.
func (m Marker) String() string { return "[meshprobe id=" + m.ID + " hash=" + m.Hash + "]" }

// Source returns the "<namespace>/<configmap>" part of the ID.
func (m Marker) Source() string {
	i := strings.LastIndexByte(m.ID, '/')
	if i < 0 {
		return ""
	}
	return m.ID[:i]
}

// TestID builds the marker ID of testName declared in namespace/configMap.
func TestID(namespace, configMap, testName string) string {
	return namespace + "/" + configMap + "/" + url.PathEscape(testName)
}

// Describe appends the marker to the declared description.
func Describe(description string, m Marker) string {
	if description == "" {
		return m.String()
	}
	return description + " " + m.String()
}

// Hash returns the content hash of a request: every managed field, with the
// declared description (before the marker is added).
func Hash(req *client.HTTPServerTestRequest) string {
	b, _ := json.Marshal(req) // a struct of plain fields always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

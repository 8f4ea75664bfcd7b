package reconciler

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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
	// Install identifies the meshprobe install that wrote the test. It is empty
	// in markers written before installs had an identity ("legacy" markers).
	Install string
}

var markerRE = regexp.MustCompile(`\[meshprobe id=([^\s\]]+) hash=([0-9a-f]+)(?: install=([^\s\]]+))?\]`)

// installRE is the grammar of an install identity: it must survive the marker's
// own grammar (no space, no "]") and stay readable in the ThousandEyes UI.
var installRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:/-]{0,126}$`)

// ValidateInstall reports whether id can be an install identity: 1 to 127 of
// letters, digits and ". _ : / -", starting with a letter or digit.
func ValidateInstall(id string) error {
	if !installRE.MatchString(id) {
		return fmt.Errorf("install identity %q: want 1-127 of [A-Za-z0-9._:/-], starting with a letter or digit", id)
	}
	return nil
}

// ParseMarker finds the marker in a description.
func ParseMarker(description string) (Marker, bool) {
	m := markerRE.FindStringSubmatch(description)
	if m == nil {
		return Marker{}, false
	}
	return Marker{ID: m[1], Hash: m[2], Install: m[3]}, true
}

// String renders the marker as it is written into descriptions.
func (m Marker) String() string {
	s := "[meshprobe id=" + m.ID + " hash=" + m.Hash
	if m.Install != "" {
		s += " install=" + m.Install
	}
	return s + "]"
}

// Source returns the "<namespace>/<configmap>" part of the ID.
func (m Marker) Source() string {
	i := strings.LastIndexByte(m.ID, '/')
	if i < 0 {
		return ""
	}
	return m.ID[:i]
}

// Name returns the testName the marker was written for (the unescaped last part
// of the ID). A test whose name differs is a copy (cloned in the UI) or was
// renamed by hand, and is not the marker's test.
func (m Marker) Name() string {
	name := m.ID[strings.LastIndexByte(m.ID, '/')+1:]
	if u, err := url.PathUnescape(name); err == nil {
		return u
	}
	return name
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

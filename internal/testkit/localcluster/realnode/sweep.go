package realnode

import (
	"os"
	"path/filepath"
	"strings"
)

// containerLogLinks is where the kubelet links every container's log file
// (hard-coded in the kubelet, shared by every node on the machine).
const containerLogLinks = "/var/log/containers"

// removeLogLinks removes the links in /var/log/containers that point below
// podLogs (the kubelet removes them with the container; this catches a kill).
func removeLogLinks(podLogs string) error {
	entries, err := os.ReadDir(containerLogLinks)
	if err != nil {
		return nil
	}
	for _, e := range entries {
		p := filepath.Join(containerLogLinks, e.Name())
		if target, err := os.Readlink(p); err == nil && strings.HasPrefix(target, podLogs+"/") {
			_ = os.Remove(p)
		}
	}
	return nil
}

package sidecar

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// reportMissingKey says, once at start, why a sidecar whose pod has no gossip
// key does not join the mesh: the pod mounts the gossip-key Secret as optional,
// and the control plane copies it only into namespaces a cluster admin opted in.
// Nothing else changes: the pod runs, checks run, and the member joins as soon
// as the key file appears.
func reportMissingKey(keyFile string, log *slog.Logger) {
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	log.Warn("sidecar: no gossip key in this pod, so it does not join the mesh (checks run): its namespace is not opted in to the mesh;"+
		" a cluster admin opts it in with the namespace label "+contract.LabelMesh+"="+contract.NamespaceMeshEnabled+
		" (or "+contract.LabelInject+"="+contract.NamespaceInjectEnabled+")", "file", keyFile)
}

package sidecar

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"

	"github.com/meshprobe/meshprobe/internal/contract"
)

// reportMissingKey says, once at start, why a member without a gossip key does
// not join the mesh. A sidecar's pod mounts the gossip-key Secret as optional,
// and the control plane copies it only into namespaces a cluster admin opted
// in; a node agent mounts the source Secret in meshprobe's own namespace, which
// the control plane's leader creates. Nothing else changes: the process runs,
// checks run, and the member joins as soon as the key file appears.
func reportMissingKey(mode Mode, keyFile string, log *slog.Logger) {
	if _, err := os.Stat(keyFile); !errors.Is(err, fs.ErrNotExist) {
		return
	}
	if mode == ModeAgent {
		log.Warn("agent: no gossip key, so it does not join the mesh (checks run): the Secret "+contract.GossipKeySecretName+
			" in the agent's namespace is missing; the control plane's leader creates it (is the control plane running in this namespace?)", "file", keyFile)
		return
	}
	log.Warn("sidecar: no gossip key in this pod, so it does not join the mesh (checks run): its namespace is not opted in to the mesh;"+
		" a cluster admin opts it in with the namespace label "+contract.LabelMesh+"="+contract.NamespaceMeshEnabled+
		" (or "+contract.LabelInject+"="+contract.NamespaceInjectEnabled+")", "file", keyFile)
}

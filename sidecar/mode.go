package sidecar

import (
	"errors"
	"fmt"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/contract"
)

// Mode is what the process is: an injected sidecar or a node agent.
type Mode string

// Modes of meshprobe-sidecar.
const (
	// ModeSidecar (the default) is the container the webhook injects: its checks
	// come from its pod's meshprobe.io/checks annotation.
	ModeSidecar Mode = "sidecar"
	// ModeAgent is a member of the meshprobe-agent DaemonSet, one per node and in
	// no application's pod: its checks come from a file (the cluster checks
	// ConfigMap, mounted), it announces gossip.RoleAgent, and its owner defaults
	// to DaemonSet meshprobe-agent.
	ModeAgent Mode = "agent"
)

// Agent-mode defaults.
const (
	// DefaultAgentChecksFile is the key checks.yaml of the ConfigMap
	// meshprobe-cluster-checks, mounted by the meshprobe-agent DaemonSet.
	DefaultAgentChecksFile = "/etc/meshprobe/cluster-checks/checks.yaml"
	// AgentOwnerKind and AgentOwnerName are an agent's owner when the env sets
	// none: runOn elects among the live agents.
	AgentOwnerKind = "DaemonSet"
	AgentOwnerName = "meshprobe-agent"
)

// role is the gossip role the mode announces.
func (m Mode) role() string {
	if m == ModeAgent {
		return gossip.RoleAgent
	}
	return gossip.RoleSidecar
}

// applyModeDefaults fills what agent mode defaults: the checks file and the owner.
func (c *Config) applyModeDefaults() {
	if c.Mode != ModeAgent {
		return
	}
	if c.ChecksFile == "" {
		c.ChecksFile = DefaultAgentChecksFile
	}
	if c.OwnerKind == "" && c.OwnerName == "" {
		c.OwnerKind, c.OwnerName = AgentOwnerKind, AgentOwnerName
	}
}

// modeErrors checks the mode and what only one mode may set.
func (c Config) modeErrors() []error {
	switch c.Mode {
	case ModeAgent:
		return nil
	case ModeSidecar:
		if c.ChecksFile != "" {
			return []error{errors.New("checks-file is for --mode=agent: a sidecar's checks come from its pod's meshprobe.io/checks annotation")}
		}
		return nil
	}
	return []error{fmt.Errorf("mode %q: want sidecar or agent", c.Mode)}
}

// checksSource says where the checks come from, for the startup log.
func (c Config) checksSource() string {
	if c.Mode == ModeAgent {
		return "file " + c.ChecksFile
	}
	return "annotation " + contract.AnnotationChecks + " in " + c.PodInfoDir
}

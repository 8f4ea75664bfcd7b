package sidecar

import (
	"fmt"
	"net/http"

	"github.com/meshprobe/meshprobe/gossip"
	"github.com/meshprobe/meshprobe/internal/buildinfo"
)

// MembersView says what /api/v1/members shows. Anyone who reaches the sidecar's
// HTTP port is a caller: the view is the same for every caller.
type MembersView string

// Views of /api/v1/members.
const (
	// MembersViewNamespace (the default) lists the members of the pod's own
	// namespace, without key fingerprints, and counts the rest of the mesh.
	MembersViewNamespace MembersView = "namespace"
	// MembersViewAll lists every member of the mesh with its key fingerprints:
	// for labs, tests and clusters whose NetworkPolicies keep the HTTP port away
	// from tenants.
	MembersViewAll MembersView = "all"
	// MembersViewOff answers 404.
	MembersViewOff MembersView = "off"
)

// parseMembersView checks a view name.
func parseMembersView(s string) (MembersView, error) {
	switch v := MembersView(s); v {
	case MembersViewNamespace, MembersViewAll, MembersViewOff:
		return v, nil
	}
	return "", fmt.Errorf("members view %q: want namespace, all or off", s)
}

// membersResponse is the JSON of /api/v1/members.
type membersResponse struct {
	Self    string        `json:"self"`
	Version string        `json:"version"`
	View    MembersView   `json:"view"`
	Status  gossip.Status `json:"status"`
	// Counts covers the whole mesh, whatever the view lists.
	Counts  memberCounts    `json:"counts"`
	Members []gossip.Member `json:"members"`
}

// memberCounts are the aggregates of the whole mesh that every view shows.
type memberCounts struct {
	// ByState counts the members by state, this one included.
	ByState map[string]int `json:"byState"`
	// LiveByRole counts the alive and suspect members by role (every role of
	// gossip.Roles present, zero if none).
	LiveByRole map[string]int `json:"liveByRole"`
}

// countMembers aggregates all, with every state and role present (zero if none).
func countMembers(all []gossip.Member) memberCounts {
	c := memberCounts{ByState: map[string]int{}, LiveByRole: map[string]int{}}
	for _, s := range gossip.States {
		c.ByState[s] = 0
	}
	for _, r := range gossip.Roles {
		c.LiveByRole[r] = 0
	}
	for _, m := range all {
		c.ByState[m.State]++
		if (m.State == gossip.StateAlive || m.State == gossip.StateSuspect) && m.Meta.Role != "" {
			c.LiveByRole[m.Meta.Role]++
		}
	}
	return c
}

// visibleMembers is what view lists of all, for a pod in namespace.
func visibleMembers(view MembersView, namespace string, all []gossip.Member) []gossip.Member {
	if view == MembersViewAll {
		return all
	}
	out := make([]gossip.Member, 0, len(all))
	for _, m := range all {
		if m.Meta.Namespace != namespace {
			continue
		}
		m.Meta.Keys = nil
		out = append(out, m)
	}
	return out
}

// membersHandler serves /api/v1/members in view (empty: MembersViewNamespace).
func membersHandler(mesh *gossip.Mesh, view MembersView) http.HandlerFunc {
	if view == "" {
		view = MembersViewNamespace
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		if view == MembersViewOff {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "the members list is off (" + EnvMembersView + "=off)"})
			return
		}
		all := mesh.Members()
		writeJSON(w, http.StatusOK, membersResponse{
			Self: mesh.LocalName(), Version: buildinfo.Version(), View: view, Status: mesh.Status(),
			Counts: countMembers(all), Members: visibleMembers(view, mesh.LocalMeta().Namespace, all),
		})
	}
}

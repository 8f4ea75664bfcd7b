package gossip

import (
	"slices"
	"strings"
)

// Members returns every member this one knows, itself included (Self true):
// live members (alive or suspect) and, for DepartedRetention, failed (dead) and
// departed (left) ones, sorted by name. Before gossiping it lists only itself.
func (m *Mesh) Members() []Member {
	out := m.stats.snapshot()
	self := Member{Name: m.cfg.Name, State: StateAlive, Self: true, Meta: m.LocalMeta()}
	if ap := m.Addr(); ap.IsValid() {
		self.Addr = ap.String()
	}
	if st := m.Status().State; st == StatusLeaving || st == StatusStopped {
		self.State = StateLeft
	}
	i, _ := slices.BinarySearchFunc(out, self.Name, func(a Member, name string) int { return strings.Compare(a.Name, name) })
	return slices.Insert(out, i, self)
}

// OwnerPeers returns the names of the alive members (this one included unless
// it is leaving) whose
// pod has this namespace and owner, sorted. The checks scheduler picks the
// runner of a runOn: one check among them.
func (m *Mesh) OwnerPeers(namespace, ownerKind, ownerName string) []string {
	var out []string
	for _, mem := range m.alive() {
		if mem.Meta.Namespace == namespace && mem.Meta.OwnerKind == ownerKind && mem.Meta.OwnerName == ownerName {
			out = append(out, mem.Name)
		}
	}
	slices.Sort(out)
	return out
}

// OwnerPeerNodes returns the node of every alive member whose pod has this
// namespace and owner, keyed by member name; this member is included unless it
// is leaving or stopped (also before it has joined anyone). The checks
// scheduler elects the runner of a runOn: one or one-node pattern check among
// those whose node matches. It copies nothing but names, so it is cheap enough
// to call before every run.
func (m *Mesh) OwnerPeerNodes(namespace, ownerKind, ownerName string) map[string]string {
	out := m.stats.ownerNodes(namespace, ownerKind, ownerName)
	m.mu.RLock()
	state, self := m.state, ownerOf(m.meta)
	node := m.meta.Node
	m.mu.RUnlock()
	if (state == StatusRunning || state == StatusWaitingForKey) && self == (owner{namespace, ownerKind, ownerName}) {
		out[m.cfg.Name] = node
	}
	return out
}

// AliveMembers counts the alive members (this one included) whose pod has this
// namespace and owner, for the heartbeat API.
func (m *Mesh) AliveMembers(namespace, ownerKind, ownerName string) int {
	return len(m.OwnerPeers(namespace, ownerKind, ownerName))
}

// MembersWithoutKey returns the names of the alive members, this one included,
// that do not announce holding the key with this fingerprint (see Fingerprint).
// A key rotation may switch the primary once this is empty.
func (m *Mesh) MembersWithoutKey(fingerprint string) []string {
	var out []string
	for _, mem := range m.alive() {
		if !mem.HasKey(fingerprint) {
			out = append(out, mem.Name)
		}
	}
	return out
}

// alive returns the live peers and this member, unless it is leaving or
// stopped (a member still waiting for its key counts: it is alive, only alone).
func (m *Mesh) alive() []Member {
	out := m.stats.live()
	if st := m.Status().State; st == StatusRunning || st == StatusWaitingForKey {
		out = append(out, Member{Name: m.cfg.Name, State: StateAlive, Self: true, Meta: m.LocalMeta()})
	}
	return out
}

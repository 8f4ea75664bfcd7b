package meshview

import (
	"slices"
	"strings"
	"time"

	"github.com/meshprobe/meshprobe/gossip"
)

// Member health, judged by this replica from the member's state and digests.
const (
	HealthHealthy  = "healthy"
	HealthDegraded = "degraded"
	HealthDown     = "down"
	HealthUnknown  = "unknown"
)

// Reasons for a health other than healthy.
const (
	ReasonSuspect       = "suspect"          // the control plane's probes of it fail
	ReasonFailingChecks = "failing-checks"   // a check's latest result is failure or timeout
	ReasonStaleDigest   = "no-recent-digest" // no digest for DigestStaleAfter
	ReasonNoDigest      = "no-digest"        // never sent one (an older release, or just joined)
	ReasonGone          = "gone"             // dead or left
)

// Trust of a member's claimed pod (StoreConfig.Verify).
const (
	TrustVerified   = "verified"
	TrustImpostor   = "impostor"
	TrustUnverified = "unverified"
)

// MemberView is one member as the API shows it: who it claims to be, its
// state and health. Gossip addresses and key fingerprints are never shown.
type MemberView struct {
	Name       string    `json:"name"`
	Namespace  string    `json:"namespace"`
	Pod        string    `json:"pod"`
	Node       string    `json:"node,omitempty"`
	Zone       string    `json:"zone,omitempty"`
	OwnerKind  string    `json:"ownerKind,omitempty"`
	OwnerName  string    `json:"ownerName,omitempty"`
	App        string    `json:"app,omitempty"`
	AppVersion string    `json:"appVersion,omitempty"`
	Version    string    `json:"version,omitempty"`
	Role       string    `json:"role"`
	State      string    `json:"state"`
	Since      time.Time `json:"since,omitzero"`
	Health     string    `json:"health"`
	Reasons    []string  `json:"reasons,omitempty"`
	Trust      string    `json:"trust"`
	// TrustReason says why an impostor's claim does not check out.
	TrustReason   string    `json:"trustReason,omitempty"`
	Checks        int       `json:"checks"`
	FailingChecks int       `json:"failingChecks"`
	LastDigest    time.Time `json:"lastDigest,omitzero"`
	// DigestTruncated is set when the latest digest left checks or RTTs out
	// to fit its byte budget (failing checks are sent first).
	DigestTruncated bool `json:"digestTruncated,omitempty"`
}

// MemberFilter selects members; an empty field matches all.
type MemberFilter struct {
	Namespace, Role, State, Health, Node string
}

func (f MemberFilter) match(v *MemberView) bool {
	return matches(f.Namespace, v.Namespace) && matches(f.Role, v.Role) && matches(f.State, v.State) &&
		matches(f.Health, v.Health) && matches(f.Node, v.Node)
}

func matches(want, got string) bool { return want == "" || want == got }

// Members returns the members f selects, sorted by namespace, pod and name.
func (s *Store) Members(f MemberFilter) []MemberView {
	now := s.cfg.Clock.Now()
	s.mu.RLock()
	out := make([]MemberView, 0, len(s.members))
	for _, m := range s.members {
		v := m.view(now, s.cfg.DigestStaleAfter)
		if f.match(&v) {
			out = append(out, v)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b MemberView) int {
		return cmpStrings(a.Namespace, b.Namespace, a.Pod, b.Pod, a.Name, b.Name)
	})
	return out
}

// cmpStrings compares pairs in order: the first that differs decides.
func cmpStrings(pairs ...string) int {
	for i := 0; i+1 < len(pairs); i += 2 {
		if c := strings.Compare(pairs[i], pairs[i+1]); c != 0 {
			return c
		}
	}
	return 0
}

// view is the member's MemberView. Callers hold the Store's lock.
func (m *memberState) view(now time.Time, staleAfter time.Duration) MemberView {
	v := MemberView{Name: m.name, Namespace: m.meta.Namespace, Pod: m.meta.Pod, Node: m.meta.Node, Zone: m.meta.Zone,
		OwnerKind: m.meta.OwnerKind, OwnerName: m.meta.OwnerName, App: m.meta.App, AppVersion: m.meta.AppVersion,
		Version: m.meta.Agent, Role: m.meta.Role, State: m.state, Since: m.since, LastDigest: m.digestAt,
		Checks: len(m.checks), Trust: TrustUnverified, DigestTruncated: m.truncated}
	for _, c := range m.checks {
		if failing(c.latest.Result) {
			v.FailingChecks++
		}
	}
	switch {
	case m.verified && m.verdict == "":
		v.Trust = TrustVerified
	case m.verified:
		v.Trust, v.TrustReason = TrustImpostor, m.verdict
	}
	v.Health, v.Reasons = m.health(now, staleAfter, v.FailingChecks)
	return v
}

// health judges the member: down when dead or left; else degraded for each
// reason found; unknown when a sidecar or agent never sent a digest.
func (m *memberState) health(now time.Time, staleAfter time.Duration, failingChecks int) (string, []string) {
	if m.state == gossip.StateDead || m.state == gossip.StateLeft {
		return HealthDown, []string{ReasonGone}
	}
	var reasons []string
	if m.state == gossip.StateSuspect {
		reasons = append(reasons, ReasonSuspect)
	}
	sendsDigests := m.meta.Role != gossip.RoleControlPlane
	switch {
	case !sendsDigests:
	case m.digestAt.IsZero():
		if len(reasons) == 0 {
			return HealthUnknown, []string{ReasonNoDigest}
		}
		reasons = append(reasons, ReasonNoDigest)
	case now.Sub(m.digestAt) > staleAfter:
		reasons = append(reasons, ReasonStaleDigest)
	}
	if failingChecks > 0 {
		reasons = append(reasons, ReasonFailingChecks)
	}
	if len(reasons) > 0 {
		return HealthDegraded, reasons
	}
	return HealthHealthy, nil
}

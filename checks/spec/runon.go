package spec

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// RunOn says which members run a check: the replicas of the pod's owner for an
// annotation check, the node agents for a cluster check. Besides all and one it
// takes synthetic-heart's node patterns:
//
//   - every member, whatever its node
//     worker*   every member on a node whose name matches the glob (path.Match: *, ?, [a-z])
//     $         exactly one member, on any node
//     worker$   exactly one member among those on nodes whose name starts with worker
//     w*-[ab]$  exactly one member among those on nodes matching the glob before the $
//
// [RunOn.Selects] tells whether a member on a node may run the check, [RunOn.One]
// whether exactly one of the selected members runs it (elected by rendezvous
// hashing) rather than every one of them.
type RunOn string

// The runOn values.
const (
	// RunOnAll runs the check on every injected replica.
	RunOnAll RunOn = "all"
	// RunOnOne runs the check on exactly one live replica per owner, chosen by
	// rendezvous hashing over the gossip membership.
	RunOnOne RunOn = "one"
	// RunOnEveryNode is the node pattern of every member, on any node (like all).
	RunOnEveryNode RunOn = "*"
	// RunOnAnyNode is the node pattern of exactly one member, on any node (like one).
	RunOnAnyNode RunOn = "$"
)

// MaxRunOnBytes bounds a runOn value: a node pattern is at most a node name long.
const MaxRunOnBytes = 253

// nodePatternRE is what a node pattern may hold: the characters of node names
// (lower-case letters, digits, '-', '.'), glob syntax and a final '$'.
var nodePatternRE = regexp.MustCompile(`^[a-z0-9.*?\[\]^-]*\$?$`)

// nodeWordRE is a word that could begin a node name, used to suggest a pattern.
var nodeWordRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// One reports whether exactly one of the selected members runs the check (one,
// $, prefix$, glob$), rather than every selected member (all, *, glob).
func (r RunOn) One() bool {
	return r == RunOnOne || (r != RunOnAll && strings.HasSuffix(string(r), "$"))
}

// ByNode reports whether r is a node pattern, not all or one.
func (r RunOn) ByNode() bool { return r != RunOnAll && r != RunOnOne }

// Selects reports whether a member on node may run the check: always for all,
// one, * and $; for a glob, when node matches it; for prefix$, when node starts
// with prefix. An invalid value selects nothing. An unknown node ("") is
// selected only by the patterns that select every node.
func (r RunOn) Selects(node string) bool {
	if r == RunOnAll || r == RunOnOne {
		return true
	}
	pattern, one := strings.CutSuffix(string(r), "$")
	if one && !strings.ContainsAny(pattern, "*?[") {
		return strings.HasPrefix(node, pattern)
	}
	ok, err := path.Match(pattern, node)
	return ok && err == nil
}

// Validate returns nil for a valid runOn, else an error naming the fix, like
//
//	runOn "worker": want all, one, or a node pattern such as worker* (every matching node) or worker$ (one matching node)
func (r RunOn) Validate() error {
	if len(r) > MaxRunOnBytes {
		return fmt.Errorf("runOn is %d bytes, over the limit of %d", len(r), MaxRunOnBytes)
	}
	if problem := r.problem(); problem != "" {
		return fmt.Errorf("runOn %q: %s", string(r), problem)
	}
	return nil
}

// problem says what is wrong with a runOn of at most MaxRunOnBytes, or "".
func (r RunOn) problem() string {
	s := string(r)
	if r == RunOnAll || r == RunOnOne {
		return ""
	}
	if !strings.ContainsAny(s, "*?[$") {
		word := strings.ToLower(s)
		if !nodeWordRE.MatchString(word) {
			word = "worker"
		}
		return fmt.Sprintf("want all, one, or a node pattern such as %[1]s* (every matching node) or %[1]s$ (one matching node)", word)
	}
	if i := strings.IndexByte(s, '$'); i >= 0 && i != len(s)-1 {
		return "'$' may only end a node pattern (worker$: one node whose name starts with worker)"
	}
	if !nodePatternRE.MatchString(s) {
		return "node patterns hold lower-case letters, digits, '-', '.', the glob characters * ? [ ] ^ and a final $ (node names are lower case)"
	}
	pattern := strings.TrimSuffix(s, "$")
	if _, err := path.Match(pattern, ""); err != nil {
		return "invalid glob " + fmt.Sprintf("%q", pattern) + ": want path.Match syntax (*, ?, [a-z], [^a-z])"
	}
	return ""
}

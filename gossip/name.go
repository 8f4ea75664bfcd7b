package gossip

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// MemberName names a member after its pod: "<namespace>/<pod>/<uid8>", where uid8
// is the first 8 hex digits of the pod UID. A pod that is replaced (a StatefulSet
// pod coming back with the same name and a new IP) gets a new UID and so a new
// name, which memberlist never refuses as an address conflict. With no UID (a
// process outside Kubernetes) a random suffix is used.
func MemberName(namespace, pod, uid string) string {
	suffix := strings.ReplaceAll(strings.ToLower(uid), "-", "")
	if len(suffix) > 8 {
		suffix = suffix[:8]
	}
	if suffix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		suffix = hex.EncodeToString(b[:])
	}
	return namespace + "/" + pod + "/" + suffix
}

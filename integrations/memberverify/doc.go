// Package memberverify checks what gossip members say about themselves against
// the pods the control plane's informer sees, and reports the members that lie.
//
// Every holder of the gossip key can join the mesh under any name and announce
// any metadata. The leader therefore trusts a member's claim only when it
// checks out: the member's name (<namespace>/<pod>/<uid8>, gossip.MemberName)
// and its metadata name the same pod, a live pod of that namespace and name
// exists, its UID starts with uid8, the member's gossip address (the address
// memberlist probes, which must answer under the member's name) is one of the
// pod's IPs, and an owner the member announces is the pod's owner. A member that
// fails is an impostor, with a Reason.
//
// View is the leader's mesh with impostors left out: the heartbeat verdicts
// (heartbeat.MeshView) and the key-rotation gate (gossipkeys.MemberView) read
// it, so an impostor can neither hide nor force MeshUnreachable, nor hold a
// rotation up or stand in for a pod that lacks the new key. Reporter is a
// leader-only task that exports meshprobe_mesh_impostor_members{reason} and
// records a rate-limited Warning Event and a log line for each impostor.
package memberverify

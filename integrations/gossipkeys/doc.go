// Package gossipkeys is the leader-only task that owns the mesh's gossip key.
//
// The source of truth is the Secret meshprobe-gossip-key in the control plane's
// namespace: data key "keys", base64 AES-256 keys one per line, the first one
// primary (the format package gossip reads). The task
//
//   - creates the source Secret with a fresh 32-byte key when it is missing;
//   - copies it into every namespace a cluster admin opted in with a namespace
//     label (meshprobe.io/inject=enabled, or meshprobe.io/mesh=enabled where
//     pods opt in one by one; meshprobe.io/mesh=disabled withholds it), never
//     because of a pod's labels, and deletes the copies everywhere else;
//   - rotates the key on a schedule and on demand (annotation
//     meshprobe.io/rotate-key on the source Secret) in three steps: add the new
//     key, make it primary once every live member holds it, drop the old key once
//     every live member uses the new one as primary.
//
// The rotation's state lives in annotations on the source Secret and changes
// together with the keys in one update, so a new leader resumes a rotation where
// the old one left it. A step waits while the leader's own gossip member is not
// gossiping or a copy is out of date; while a live member, or a Ready injected
// pod of an opted-in namespace, is not seen in the mesh with the key, it waits
// at most Config.StepTimeout from the phase's start, then proceeds without them
// and names them in a Warning Event: no member can stall a rotation forever.
package gossipkeys

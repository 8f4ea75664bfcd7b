// Package gossipkeys is the leader-only task that owns the mesh's gossip key.
//
// The source of truth is the Secret meshprobe-gossip-key in the control plane's
// namespace: data key "keys", base64 AES-256 keys one per line, the first one
// primary (the format package gossip reads). The task
//
//   - creates the source Secret with a fresh 32-byte key when it is missing;
//   - copies it into every namespace that has injected pods (label
//     meshprobe.io/member=true) or carries meshprobe.io/inject=enabled, and
//     deletes the copies that are no longer needed;
//   - rotates the key on a schedule and on demand (annotation
//     meshprobe.io/rotate-key on the source Secret) in three steps: add the new
//     key, make it primary once every live member holds it, drop the old key once
//     every live member uses the new one as primary.
//
// The rotation's state lives in annotations on the source Secret and changes
// together with the keys in one update, so a new leader resumes a rotation where
// the old one left it. The task never advances while the leader's own gossip
// member is not gossiping, while a copy is out of date, or while a Ready
// injected pod is not seen in the mesh with the key: no member is cut off.
package gossipkeys

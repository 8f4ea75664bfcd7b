// Package meshview is the control plane's cluster view: a Store of every
// gossip member with the checks and RTTs of the digests it sends (fed by
// gossip.Mesh.OnDigest and the membership, on every control-plane replica),
// and a read-only JSON API over it:
//
//	GET|HEAD /api/v1/members     members with state, health and version
//	GET|HEAD /api/v1/checks      checks across the cluster with their last runs
//	GET|HEAD /api/v1/rtt         RTT between two pods, measured or estimated
//	GET|HEAD /api/v1/rtt/nodes   node × node RTT matrix
//
// Every API request carries a Kubernetes bearer token: the server asks the API
// server (TokenReview, then SubjectAccessReview) whether its user may get the
// virtual resource meshview.meshprobe.io, which the ClusterRole meshprobe-view
// grants, and caches the decision briefly. The web UI (package ui) is served at
// / without authentication: it is static and fetches the API with the token
// the user gives it.
package meshview

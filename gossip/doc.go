// Package gossip is meshprobe's membership and RTT layer: a hashicorp/memberlist
// member with an encrypted keyring read from the mounted gossip-key file (reloaded
// live), compact member metadata (pod, namespace, node, owner, app, key
// fingerprints), and round-trip-time measurement to peers.
//
// RTT comes from two sources. memberlist's SWIM probes report an RTT through its
// PingDelegate, but only one peer per probe interval, round robin. An active prober
// therefore sends small authenticated UDP echo packets over the gossip port itself
// (the Transport in this package answers them inline in its read loop) to a
// bounded, rendezvous-hashed subset of peers each round, so the cost per member
// stays flat as the mesh grows while every pair is covered over time.
//
// Each member also keeps a Vivaldi network coordinate (hashicorp/serf/coordinate)
// that it sends in its SWIM acks and updates with its echo RTTs, so the RTT
// between any two members can be estimated from their coordinates (EstimateRTT).
//
// Metrics are produced by a custom prometheus.Collector over a snapshot of the
// live membership, so the series of departed peers vanish without bookkeeping.
//
// A Mesh is created with New and run with Run; it satisfies the Membership
// interfaces that the checks scheduler (runOn: one) and the heartbeat API use.
package gossip

// Package heartbeat serves meshprobe's deployment heartbeat API, compatible with
// k8s-heartbeat: GET or HEAD /api/healthz/{namespace}/{deployment|statefulset|daemonset}/{name}
// answers 200 when the workload is healthy, 503 when it is degraded and 404 when it is
// unknown, with a JSON verdict that lists the reasons. /api/health/... and /health
// answer exactly like /api/healthz/... and /healthz.
//
// The verdict is judged from the workload's own status and conditions, from all of its
// pods (crash loops, restarts, readiness) and, when a MeshView is given, from how many
// of its pods are alive in the gossip mesh. Every answer comes from shared informer
// caches, so a heartbeat request never reaches the Kubernetes API server.
//
// The API is protected by a token (AUTH_TOKEN_BASIC, compared in constant time) and a
// per-client-IP rate limit (RATE_LIMIT, "3600-H", or a number with RATE_LIMIT_PERIOD).
// The server runs on the control plane's leader only.
package heartbeat

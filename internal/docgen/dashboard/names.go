package dashboard

// Label names on meshprobe's series. Target labels (namespace, pod, node, zone, app, job) come
// from the scrape configuration in manifests/monitoring; the others from the metrics.
const (
	lblPeerNamespace = "peer_namespace"
	lblPeerZone      = "peer_zone"
	lblPeerNode      = "peer_node"
	lblSameNode      = "same_node"
	lblSameZone      = "same_zone"
	lblZone          = "zone"
	lblCheck         = "check"
	lblCheckType     = "type"
)

// Series recorded by the rules in manifests/monitoring/prometheusrule.yaml.
const (
	// RecRTTBucketRate is the per-second rate of RTT histogram buckets, by source
	// namespace/app/node/zone, peer_namespace, same_node, same_zone, peer_zone and le.
	RecRTTBucketRate = "node_peer:meshprobe_gossip_rtt_seconds_bucket:rate5m"
	// RecRTTCountRate is the per-second rate of successful RTT probes, same grouping.
	RecRTTCountRate = "node_peer:meshprobe_gossip_rtt_seconds_count:rate5m"
	// RecProbeFailureRate is the per-second rate of failed RTT probes, same grouping.
	RecProbeFailureRate = "node_peer:meshprobe_gossip_probe_failures:rate5m"
	// RecRTTP99 is the p99 RTT by source namespace/app, peer_namespace, same_node and same_zone.
	RecRTTP99 = "app_peer:meshprobe_gossip_rtt_seconds:p99_5m"
	// RecProbeLoss is the fraction of failed RTT probes, by source namespace/app and peer_namespace.
	RecProbeLoss = "app_peer:meshprobe_gossip_probe_loss:ratio5m"
	// RecZonePairBucketRate and RecZonePairP99 are the zone-to-zone matrix: bucket
	// rates and p99 RTT by source zone and peer_zone.
	RecZonePairBucketRate = "zone_pair:meshprobe_gossip_rtt_seconds_bucket:rate5m"
	RecZonePairP99        = "zone_pair:meshprobe_gossip_rtt_seconds:p99_5m"
	// RecNodePairBucketRate and RecNodePairP99 are the node-to-node matrix, from the
	// sidecars that export peer_node: by source node and peer_node.
	RecNodePairBucketRate = "node_pair:meshprobe_gossip_rtt_seconds_bucket:rate5m"
	RecNodePairP99        = "node_pair:meshprobe_gossip_rtt_seconds:p99_5m"
	// RecAgentNodePairP50 and RecAgentNodePairP99 are the node agents' node-to-node
	// quantiles (job meshprobe-agent only): by source node and peer_node.
	RecAgentNodePairP50 = "agent_node_pair:meshprobe_gossip_rtt_seconds:p50_5m"
	RecAgentNodePairP99 = "agent_node_pair:meshprobe_gossip_rtt_seconds:p99_5m"
	// RecCheckDurationBucketRate is the rate of check duration buckets, by namespace,
	// app, node, check and le.
	RecCheckDurationBucketRate = "node_check:meshprobe_check_duration_seconds_bucket:rate5m"
)

// Raw metric names, as docs/contract.md lists them.
const (
	mMembers        = "meshprobe_gossip_members"
	mCheckUp        = "meshprobe_check_up"
	mCheckRuns      = "meshprobe_check_runs_total"
	mCheckHTTP      = "meshprobe_check_http_status_total"
	mCheckTLSExpiry = "meshprobe_check_tls_cert_expiry_seconds"
	mChecksReload   = "meshprobe_checks_config_last_reload_successful"
	mAdmissions     = "meshprobe_webhook_admissions_total"
	mLeader         = "meshprobe_leader"
	mTEOps          = "meshprobe_thousandeyes_operations_total"
	mTEAPI          = "meshprobe_thousandeyes_api_requests_total"
	mTEManaged      = "meshprobe_thousandeyes_managed_tests"
	mHeartbeat      = "meshprobe_heartbeat_requests_total"
)

// srcFilter selects the series of the sidecars chosen by the dashboard variables.
const srcFilter = `namespace=~"$namespace", app=~"$app", node=~"$node"`

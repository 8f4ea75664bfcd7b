// Package config loads the `config.yaml` key of a ThousandEyes test ConfigMap, in
// the format of the k8s-thousandeyes sync service, so ConfigMaps written for that
// service work unchanged:
//
//	dryRun: false        # this ConfigMap only: log and record, never write
//	prune: true          # meshprobe addition: delete this ConfigMap's tests that are no longer declared
//	httpTests:
//	  - testName: "api health"
//	    url: https://api.example.com/healthz
//	    description: "runbook: https://wiki/api"
//	    interval: 300
//	    alertsEnabled: true
//	    enabled: true
//	    verifyCertificate: true
//	    bandwidthMeasurements: false
//	    mtuMeasurements: false
//	    httpTargetTime: 1000
//	    httpTimeLimit: 10
//	    agents: ["32", "Tokyo, Japan"]   # IDs (all digits) or names
//	    alertRules: ["1111111"]           # IDs or names; omitted = the account's defaults
//	    headers: ["X-Probe: meshprobe"]
//
// Parse decodes strictly (an unknown key is an error), fills the documented
// defaults, then validates; every error names the test and the field.
package config

package controlplane

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/kubernetes"

	"github.com/meshprobe/meshprobe/integrations/clusterchecks"
	"github.com/meshprobe/meshprobe/integrations/leader"
)

// clusterChecksTasks is the cluster-checks task in meshprobe's namespace, with
// --cluster-checks (the default).
func clusterChecksTasks(o *options, client kubernetes.Interface, log *slog.Logger, reg prometheus.Registerer) ([]leader.Task, error) {
	if !o.cp.clusterChecks {
		return nil, nil
	}
	cfg := clusterchecks.DefaultConfig()
	cfg.Namespace = o.namespace
	c, err := clusterchecks.New(cfg, client, log, reg)
	if err != nil {
		return nil, err
	}
	return []leader.Task{c.Task()}, nil
}

package reconciler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/meshprobe/meshprobe/integrations/thousandeyes/client"
	"github.com/meshprobe/meshprobe/integrations/thousandeyes/config"
)

// names resolves agent and alert-rule names to IDs through /agents and
// /alerts/rules, fetched only when a name is used and cached for a TTL. A name
// missing from a cached listing refetches it at most once per pass.
type names struct {
	api API
	ttl time.Duration

	mu     sync.Mutex
	agents catalog
	rules  catalog
}

type catalog struct {
	byName    map[string][]string
	fetchedAt time.Time
	pass      uint64 // the pass that last fetched it
}

func (c *catalog) stale(ttl time.Duration, pass uint64, name string) bool {
	if c.byName == nil || time.Since(c.fetchedAt) > ttl {
		return true
	}
	_, known := c.byName[name]
	return !known && c.pass != pass
}

func (n *names) agentID(ctx context.Context, pass uint64, ref config.Ref) (string, error) {
	return n.lookup(ctx, pass, ref, "agent", &n.agents, func(ctx context.Context) (map[string][]string, error) {
		list, err := n.api.ListAgents(ctx)
		byName := map[string][]string{}
		for _, a := range list {
			byName[a.AgentName] = append(byName[a.AgentName], a.AgentID)
		}
		return byName, err
	})
}

func (n *names) ruleID(ctx context.Context, pass uint64, ref config.Ref) (string, error) {
	return n.lookup(ctx, pass, ref, "alert rule", &n.rules, func(ctx context.Context) (map[string][]string, error) {
		list, err := n.api.ListAlertRules(ctx)
		byName := map[string][]string{}
		for _, r := range list {
			byName[r.RuleName] = append(byName[r.RuleName], r.RuleID)
		}
		return byName, err
	})
}

// lookup resolves ref through cat, refetching it when stale.
func (n *names) lookup(ctx context.Context, pass uint64, ref config.Ref, kind string, cat *catalog,
	fetch func(context.Context) (map[string][]string, error)) (string, error) {
	if ref.IsID() {
		return string(ref), nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if cat.stale(n.ttl, pass, string(ref)) {
		byName, err := fetch(ctx)
		if err != nil {
			return "", err
		}
		*cat = catalog{byName: byName, fetchedAt: time.Now(), pass: pass}
	}
	return pick(kind, cat.byName, string(ref))
}

func pick(kind string, byName map[string][]string, name string) (string, error) {
	ids := byName[name]
	if len(ids) == 0 {
		for n, v := range byName {
			if strings.EqualFold(n, name) {
				ids = append(ids, v...)
			}
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("no %s named %q", kind, name)
	case 1:
		return ids[0], nil
	default:
		return "", fmt.Errorf("%d %ss are named %q; use an ID", len(ids), kind, name)
	}
}

// request builds the API request for a declared test, resolving names. Errors
// name the field, e.g. `agents[1]: no agent named "Mars"`.
func (n *names) request(ctx context.Context, pass uint64, t *config.HTTPTest) (*client.HTTPServerTestRequest, error) {
	req := &client.HTTPServerTestRequest{
		TestName: t.TestName, URL: t.URL, Description: &t.Description, Interval: t.Interval,
		AlertsEnabled: t.AlertsEnabled, Enabled: t.Enabled, VerifyCertificate: t.VerifyCertificate,
		BandwidthMeasurements: t.BandwidthMeasurements, MTUMeasurements: t.MTUMeasurements,
		HTTPTargetTime: t.HTTPTargetTime, HTTPTimeLimit: t.HTTPTimeLimit,
		Headers: append([]string{}, t.Headers...),
	}
	seen := map[string]bool{}
	for i, ref := range t.Agents {
		id, err := n.agentID(ctx, pass, ref)
		if err != nil {
			return nil, fmt.Errorf("agents[%d]: %w", i, err)
		}
		if !seen[id] {
			seen[id] = true
			req.Agents = append(req.Agents, client.AgentRef{AgentID: id})
		}
	}
	if t.AlertRules == nil {
		return req, nil
	}
	rules := []string{}
	for i, ref := range t.AlertRules {
		id, err := n.ruleID(ctx, pass, ref)
		if err != nil {
			return nil, fmt.Errorf("alertRules[%d]: %w", i, err)
		}
		rules = append(rules, id)
	}
	req.AlertRules = &rules
	return req, nil
}

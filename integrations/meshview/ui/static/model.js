// The view API's answers, read into the shapes the page draws. Field names are
// those of package meshview's JSON (integrations/meshview); list answers are
// objects with the list under a named field.

import { parseTime } from "./dom.js";

function list(answer, field) {
  if (Array.isArray(answer)) return answer;
  return (answer && answer[field]) || [];
}

// members reads /api/v1/members (meshview.MemberView).
export function members(answer) {
  return list(answer, "members").map((m) => {
    const namespace = m.namespace || "";
    const pod = m.pod || "";
    return {
      name: m.name || "",
      namespace,
      pod,
      ref: pod ? `${namespace}/${pod}` : m.name || "",
      node: m.node || "",
      zone: m.zone || "",
      role: m.role || "",
      state: m.state || "",
      version: m.version || "",
      app: m.app || "",
      owner: [m.ownerKind, m.ownerName].filter(Boolean).join("/"),
      health: m.health || "",
      reasons: m.reasons || [],
      trust: m.trust || "",
      trustReason: m.trustReason || "",
      checks: m.checks || 0,
      failingChecks: m.failingChecks || 0,
      lastDigest: parseTime(m.lastDigest),
    };
  });
}

// checks reads /api/v1/checks (meshview.CheckView): one row per check per member.
export function checks(answer) {
  return list(answer, "checks").map((c) => {
    // The API lists runs most recent first; the page draws them oldest → newest.
    const history = (c.history || []).map((r) => ({ result: r.result || "", at: parseTime(r.at), error: r.error || "" })).reverse();
    const namespace = c.namespace || "";
    return {
      member: c.member || "",
      memberState: c.memberState || "",
      pod: c.pod || "",
      ref: c.pod ? `${namespace}/${c.pod}` : c.member || "",
      node: c.node || "",
      namespace,
      app: c.app || "",
      check: c.name || "",
      type: c.type || "",
      result: c.result || "",
      error: c.error || "",
      lastRun: parseTime(c.lastRun),
      lastSuccess: parseTime(c.lastSuccess),
      failingSince: parseTime(c.failingSince),
      failingSinceExact: Boolean(c.failingSinceExact),
      consecutiveFailures: c.consecutiveFailures || 0,
      history,
    };
  });
}

// matrix reads /api/v1/rtt/nodes (meshview.NodeMatrix): seconds[i][j],
// sources[i][j] and samples[i][j] describe the RTT between nodes[i] and
// nodes[j]; seconds is null where nothing is known.
export function matrix(answer) {
  const nodes = answer.nodes || [];
  const index = new Map(nodes.map((n, i) => [n, i]));
  const at = (grid, i, j) => (grid && grid[i] ? grid[i][j] : undefined);
  return {
    nodes,
    cell: (a, b) => {
      const i = index.get(a), j = index.get(b);
      const seconds = at(answer.seconds, i, j);
      if (seconds === null || seconds === undefined) return null;
      return { seconds, source: at(answer.sources, i, j) || "", samples: at(answer.samples, i, j) || 0 };
    },
  };
}

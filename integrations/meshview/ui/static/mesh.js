// The mesh view: a summary, the node × node RTT matrix coloured by latency and
// the members of each node grouped by namespace.

import { el, fmtRTT, rttColor } from "./dom.js";

// Above this many nodes the matrix is drawn on a canvas instead of as a table.
const maxTableNodes = 60;

// summary counts members, nodes, namespaces and checks (from the members' own counts).
export function summary(container, members, matrix) {
  const sum = (f) => members.reduce((s, m) => s + f(m), 0);
  const alive = sum((m) => (m.state === "alive" ? 1 : 0));
  const failing = sum((m) => m.failingChecks);
  const namespaces = new Set(members.map((m) => m.namespace)).size;
  const card = (label, value, kind = "", id = "") => el("div", { class: `card ${kind}`, id: id || undefined }, el("div", { class: "value" }, String(value)), el("div", { class: "label" }, label));
  container.replaceChildren(
    card("members", members.length, "", "sum-members"),
    card("alive", alive, alive === members.length ? "ok" : "warn"),
    card("not alive", members.length - alive, members.length - alive ? "warn" : ""),
    card("nodes", matrix.nodes.length || new Set(members.map((m) => m.node)).size),
    card("namespaces", namespaces),
    card("checks", sum((m) => m.checks)),
    card("failing", failing, failing ? "bad" : "ok", "sum-failing"),
  );
}

export function legend(container) {
  const stops = [1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 5e-2, 1e-1];
  const swatch = (s) => { const sw = el("span", { class: "swatch" }); sw.style.background = rttColor(s); return el("span", { class: "stop" }, sw, fmtRTT(s)); };
  container.replaceChildren(...stops.map(swatch), el("span", { class: "stop" }, el("span", { class: "swatch est" }), "estimated"));
}

// drawMatrix draws the matrix, or why there is none (error: an ApiError).
export function drawMatrix(container, hover, matrix, error) {
  hover.textContent = "";
  if (error) {
    container.replaceChildren(el("div", { class: "error inline", role: "alert" }, error.message));
    return;
  }
  const { nodes } = matrix;
  if (!nodes.length) {
    container.replaceChildren(el("p", { class: "muted" }, "no RTT between nodes yet"));
    return;
  }
  const show = (a, b) => {
    const c = matrix.cell(a, b);
    hover.textContent = `${a} → ${b}: ${c ? `${fmtRTT(c.seconds)}, ${c.source}, median of ${c.samples}` : "no data"}`;
  };
  container.replaceChildren(nodes.length > maxTableNodes ? canvasMatrix(matrix, show) : tableMatrix(matrix, show));
}

function tableMatrix(matrix, show) {
  const { nodes } = matrix;
  const withText = nodes.length <= 12;
  const head = el("tr", {}, el("th", { class: "corner" }, "from \\ to"), nodes.map((n, j) => el("th", { title: n, scope: "col" }, withText ? n : String(j + 1))));
  const rows = nodes.map((a, i) => el("tr", {}, el("th", { scope: "row", title: a }, withText ? a : `${i + 1} ${a}`), nodes.map((b) => {
    const c = matrix.cell(a, b);
    const td = el("td", { "data-from": a, "data-to": b, class: c ? (c.source === "estimated" ? "est" : "") : "none", title: c ? `${a} → ${b}: ${fmtRTT(c.seconds)}, ${c.source}, median of ${c.samples}` : `${a} → ${b}: no data` }, c && withText ? fmtRTT(c.seconds) : "");
    if (c) td.style.backgroundColor = rttColor(c.seconds);
    return td;
  })));
  const table = el("table", { class: withText ? "matrix" : "matrix compact" }, el("thead", {}, head), el("tbody", {}, rows));
  table.addEventListener("mouseover", (e) => {
    const td = e.target.closest("td[data-from]");
    if (td) show(td.dataset.from, td.dataset.to);
  });
  return table;
}

function canvasMatrix(matrix, show) {
  const { nodes } = matrix;
  const size = Math.max(2, Math.floor(640 / nodes.length));
  const canvas = el("canvas", { width: size * nodes.length, height: size * nodes.length, class: "matrix-canvas", role: "img", "aria-label": `RTT matrix of ${nodes.length} nodes` });
  const ctx = canvas.getContext("2d");
  nodes.forEach((a, i) => nodes.forEach((b, j) => {
    const c = matrix.cell(a, b);
    ctx.fillStyle = c ? rttColor(c.seconds) : "#eee";
    ctx.fillRect(j * size, i * size, size, size);
  }));
  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect();
    const i = Math.floor(((e.clientY - r.top) * canvas.height) / r.height / size);
    const j = Math.floor(((e.clientX - r.left) * canvas.width) / r.width / size);
    if (nodes[i] && nodes[j]) show(nodes[i], nodes[j]);
  });
  return canvas;
}

// drawNodes lists each node with its members counted by namespace, marking
// namespaces with failing checks and members not alive.
export function drawNodes(container, members) {
  const nodes = new Map(); // node -> namespace -> {n, down, bad}
  for (const m of members) {
    const byNs = nodes.get(m.node) || new Map();
    const e = byNs.get(m.namespace) || { n: 0, down: 0, bad: 0 };
    e.n++;
    if (m.state !== "alive") e.down++;
    e.bad += m.failingChecks;
    byNs.set(m.namespace, e);
    nodes.set(m.node, byNs);
  }
  const names = [...nodes.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  container.replaceChildren(...names.map((node) => {
    const byNs = nodes.get(node);
    const total = [...byNs.values()].reduce((s, e) => s + e.n, 0);
    const chips = [...byNs.entries()].sort().map(([ns, e]) => {
      const bad = e.bad;
      const kind = bad ? "bad" : e.down ? "down" : "ok";
      const title = `${ns} on ${node}: ${e.n} members${e.down ? `, ${e.down} not alive` : ""}${bad ? `, ${bad} failing checks` : ""}`;
      return el("span", { class: `chip ${kind}`, title }, `${ns || "(none)"} ${e.n}`, bad ? el("b", {}, ` ✕${bad}`) : "");
    });
    return el("div", { class: "node", "data-node": node }, el("div", { class: "node-name" }, node || "(unknown node)", el("span", { class: "muted" }, ` · ${total}`)), el("div", { class: "chips" }, chips));
  }));
}

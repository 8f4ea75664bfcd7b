// The pod-to-pod latency lookup: one request to /api/v1/rtt.

import { el, fmtRTT, rttColor, ago } from "./dom.js";
import { getJSON } from "./api.js";

export function fillPods(datalist, members) {
  const refs = [...new Set(members.filter((m) => m.pod).map((m) => m.ref))].sort();
  datalist.replaceChildren(...refs.map((r) => el("option", { value: r })));
}

const podName = (ref, typed) => (ref && ref.pod ? `${ref.namespace}/${ref.pod}` : typed);

// lookup answers the form (meshview.RTTAnswer): "1.23 ms from → to, measured
// 12 s ago by ..." or "estimated" from coordinates, or why neither is known.
export async function lookup(form, out) {
  const from = form.elements.from.value.trim();
  const to = form.elements.to.value.trim();
  out.replaceChildren(el("span", { class: "muted" }, `looking up ${from} → ${to}…`));
  try {
    const r = await getJSON("rtt", { from, to });
    const known = r.source === "measured" || r.source === "estimated";
    const swatch = el("span", { class: `swatch big${r.source === "estimated" ? " est" : ""}` });
    if (known) swatch.style.backgroundColor = rttColor(r.seconds);
    const detail = r.source === "measured"
      ? ` ${ago(r.measuredAt)}${r.measuredBy ? ` by ${r.measuredBy}` : ""}`
      : r.source === "estimated" ? ` from network coordinates (error ${Number(r.estimateError || 0).toFixed(2)}; 0 is exact, 3 is worst)` : ` ${r.reason || ""}`;
    out.replaceChildren(el("div", { class: "rtt-answer", "data-source": r.source },
      swatch,
      el("span", { class: "rtt-value" }, known ? fmtRTT(r.seconds) : "unknown"),
      el("span", { class: "mono" }, ` ${podName(r.from, from)} (${(r.from && r.from.node) || "?"}) → ${podName(r.to, to)} (${(r.to && r.to.node) || "?"})`),
      el("span", { class: `badge ${r.source}` }, r.source || "unknown"),
      el("span", { class: "muted" }, detail),
    ));
  } catch (err) {
    out.replaceChildren(el("div", { class: "error inline", role: "alert" }, err.message));
  }
}

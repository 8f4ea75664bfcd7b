// Small DOM and formatting helpers. Data from the API is only ever set as text
// (never parsed as HTML), so a pod name or an error cannot inject markup.

// el builds an element: el("td", {class: "x", title: "t"}, "text", child, ...).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// fmtRTT formats seconds as µs or ms with three significant digits.
export function fmtRTT(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return "—";
  const us = seconds * 1e6;
  if (us < 1000) return us.toPrecision(3) + " µs";
  const ms = us / 1000;
  return (ms < 100 ? ms.toPrecision(3) : ms.toFixed(0)) + " ms";
}

// rttColor maps seconds to green (≤ 0.1 ms) through yellow to red (≥ 100 ms) on a log scale.
export function rttColor(seconds) {
  const lo = Math.log10(1e-4), hi = Math.log10(1e-1);
  const x = Math.min(1, Math.max(0, (Math.log10(Math.max(seconds, 1e-7)) - lo) / (hi - lo)));
  return `hsl(${Math.round(130 * (1 - x))} 70% ${Math.round(45 + 8 * (1 - x))}%)`;
}

// parseTime returns a Date for an RFC 3339 time, or null for empty and zero times.
export function parseTime(value) {
  if (!value || value.startsWith("0001-01-01")) return null;
  const d = new Date(value);
  return isNaN(d) ? null : d;
}

// ago formats a time as "12 s ago", "3 min 5 s ago", "42 min ago", "2 h ago" or "4 d ago".
export function ago(value, now = Date.now()) {
  const d = value instanceof Date ? value : parseTime(value);
  if (!d) return "—";
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 600) return `${Math.floor(s / 60)} min ${s % 60} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

// isBad says whether a check result is a failing one.
export function isBad(result) {
  return result === "failure" || result === "timeout";
}

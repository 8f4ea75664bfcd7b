// The check results table: one row per check per member, failing first (the
// API's order), with its last results as coloured dots and the latest error.
// It fetches one page at a time: a mesh of 1,000 members has thousands of
// check rows with ten runs each.

import { el, ago, isBad } from "./dom.js";
import { Table } from "./table.js";
import { getJSON } from "./api.js";
import * as model from "./model.js";

const order = { failure: 0, timeout: 1, pending: 2, unscheduled: 3, standby: 4, success: 5 };

function dots(history) {
  return el("span", { class: "dots", "aria-label": `last ${history.length} results` }, history.map((r) => {
    const when = r.at ? r.at.toISOString() : "";
    return el("span", { class: `dot ${r.result}`, title: `${r.result} ${when}${r.error ? "\n" + r.error : ""}` });
  }));
}

// since says when the failure streak began; "≥" when it began before this
// control-plane replica saw it (between lastSuccess and failingSince).
function since(c) {
  if (!c.failingSince) return "—";
  const title = c.failingSince.toISOString() + (c.failingSinceExact ? "" : " (began earlier, before the first run this replica saw)");
  return el("span", { title }, (c.failingSinceExact ? "" : "≥ ") + ago(c.failingSince), el("span", { class: "muted" }, ` · ${c.consecutiveFailures}×`));
}

const columns = [
  { key: "result", label: "Result", value: (c) => order[c.result] ?? 9, cell: (c) => el("span", { class: `badge ${c.result}` }, c.result || "—") },
  { key: "check", label: "Check", value: (c) => c.check, cell: (c) => el("span", {}, el("b", {}, c.check), c.type ? el("span", { class: "muted" }, " " + c.type) : "") },
  { key: "ref", label: "Pod", class: "nowrap", value: (c) => c.ref, cell: (c) => el("span", { class: "mono", title: c.member }, c.ref, c.memberState && c.memberState !== "alive" ? el("span", { class: `badge ${c.memberState}` }, c.memberState) : "") },
  { key: "node", label: "Node", value: (c) => c.node, class: "nowrap" },
  { key: "app", label: "App", value: (c) => c.app },
  { key: "history", label: "Last runs (newest right)", class: "nowrap", value: (c) => c.history.filter((r) => isBad(r.result)).length, cell: (c) => dots(c.history) },
  { key: "since", label: "Failing since", class: "nowrap", value: (c) => (c.failingSince ? c.failingSince.getTime() : null), cell: (c) => since(c) },
  { key: "lastSuccess", label: "Last success", class: "nowrap", value: (c) => (c.lastSuccess ? -c.lastSuccess.getTime() : null), cell: (c) => (c.lastSuccess ? el("span", { title: c.lastSuccess.toISOString() }, ago(c.lastSuccess)) : "never") },
  { key: "error", label: "Error", value: (c) => c.error, cell: (c) => (c.error ? el("span", { class: "err" }, c.error) : ""), class: "errcol" },
];

// CheckTable shows pages of /api/v1/checks with the filters set; load throws
// an ApiError when the API refuses.
export class CheckTable {
  constructor(container, onError) {
    this.filters = {};
    this.onError = onError;
    this.table = new Table(container, {
      columns,
      empty: "no checks match",
      rowAttrs: (c) => ({ "data-check": c.check, "data-pod": c.ref, class: isBad(c.result) ? "bad" : "" }),
      onPage: () => this.load().catch(this.onError),
    });
  }

  // filter sets the filters and shows their first page.
  filter(filters) {
    this.filters = filters;
    this.table.page = 0;
  }

  async load() {
    const { page, pageSize } = this.table;
    const answer = await getJSON("checks", { ...this.filters, limit: pageSize, offset: page * pageSize });
    if (page > 0 && !answer.checks.length && answer.total) {
      this.table.page = Math.floor((answer.total - 1) / pageSize); // the list shrank: show its last page
      return this.load();
    }
    this.table.setPage(model.checks(answer), answer.total || 0);
    return answer;
  }
}

// The member list: server-side filters (namespace, role, state), a client-side
// search, sorting and pages.

import { el, ago } from "./dom.js";
import { Table } from "./table.js";

const badge = (text, kind) => el("span", { class: `badge ${kind}` }, text || "—");

const columns = [
  { key: "ref", label: "Pod", value: (m) => m.ref, cell: (m) => el("span", { class: "mono", title: m.name }, m.ref) },
  { key: "node", label: "Node", value: (m) => m.node },
  { key: "role", label: "Role", value: (m) => m.role },
  { key: "state", label: "State", value: (m) => m.state, cell: (m) => badge(m.state, m.state) },
  { key: "health", label: "Health", value: (m) => m.health, cell: (m) => el("span", {}, badge(m.health, m.health), m.reasons.length ? el("span", { class: "muted" }, " " + m.reasons.join(", ")) : "") },
  { key: "failingChecks", label: "Checks failing", value: (m) => m.failingChecks, cell: (m) => el("span", {}, m.failingChecks ? badge(String(m.failingChecks), "failure") : "0", el("span", { class: "muted" }, ` / ${m.checks}`)), class: "num" },
  { key: "trust", label: "Pod claim", value: (m) => m.trust, cell: (m) => el("span", { title: m.trustReason }, badge(m.trust, m.trust)) },
  { key: "version", label: "Version", value: (m) => m.version },
  { key: "app", label: "App", value: (m) => m.app },
  { key: "owner", label: "Owner", value: (m) => m.owner },
  { key: "lastDigest", label: "Last digest", value: (m) => (m.lastDigest ? -m.lastDigest.getTime() : null), cell: (m) => ago(m.lastDigest) },
];

// MemberList draws members into container; search filters them by text.
export class MemberList {
  constructor(container) {
    this.table = new Table(container, {
      columns,
      sortKey: "ref",
      empty: "no members match",
      rowAttrs: (m) => ({ "data-member": m.ref, class: `state-${m.state}` }),
    });
    this.all = [];
    this.query = "";
  }

  set(members) {
    this.all = members;
    this.apply();
  }

  search(query) {
    this.query = query.trim().toLowerCase();
    this.table.page = 0;
    this.apply();
  }

  apply() {
    const q = this.query;
    const match = (m) => !q || [m.ref, m.name, m.node, m.app, m.owner, m.version, m.role, m.state, m.health].some((f) => f.toLowerCase().includes(q));
    this.table.setRows(this.all.filter(match));
  }
}

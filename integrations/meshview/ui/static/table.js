// A paginated table: only one page of rows is ever in the DOM, so a list of
// thousands of members or checks stays fast. It sorts and pages rows it holds
// (setRows), or shows pages a server sorted and cut (remote mode: setPage, with
// onPage called to fetch another page).

import { el } from "./dom.js";

// Table renders rows into container. columns: [{key, label, value(row), cell(row)}],
// where value gives the sort key and cell the content (defaults to value).
export class Table {
  constructor(container, { columns, pageSize = 50, sortKey, sortDesc = false, empty = "nothing to show", rowAttrs, onPage }) {
    this.container = container;
    this.columns = columns;
    this.pageSize = pageSize;
    this.sortKey = sortKey || columns[0].key;
    this.sortDesc = sortDesc;
    this.empty = empty;
    this.rowAttrs = rowAttrs || (() => ({}));
    this.rows = [];
    this.page = 0;
    this.onPage = onPage; // remote mode when set
    this.total = 0;
  }

  setRows(rows) {
    this.rows = rows;
    this.total = rows.length;
    this.render();
  }

  // setPage shows one page of a remote list of total rows.
  setPage(rows, total) {
    this.rows = rows;
    this.total = total;
    this.render();
  }

  // go moves to page (remote mode asks for it; it shows on setPage).
  go(page) {
    this.page = page;
    if (this.onPage) this.onPage(this.page, this.pageSize);
    else this.render();
  }

  column(key) {
    return this.columns.find((c) => c.key === key) || this.columns[0];
  }

  sorted() {
    const col = this.column(this.sortKey);
    const dir = this.sortDesc ? -1 : 1;
    const cmp = (a, b) => {
      const x = col.value(a), y = col.value(b);
      if (x === y) return 0;
      if (x === undefined || x === null || x === "") return 1; // blanks last either way
      if (y === undefined || y === null || y === "") return -1;
      return (typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true })) * dir;
    };
    return this.rows.slice().sort(cmp);
  }

  sortBy(key) {
    if (this.sortKey === key) this.sortDesc = !this.sortDesc;
    else [this.sortKey, this.sortDesc] = [key, false];
    this.page = 0;
    this.render();
  }

  render() {
    const pages = Math.max(1, Math.ceil(this.total / this.pageSize));
    if (!this.onPage) this.page = Math.min(this.page, pages - 1);
    const start = this.page * this.pageSize;
    const rows = this.onPage ? this.rows : this.sorted().slice(start, start + this.pageSize);
    const table = el("table", { class: "grid" }, el("thead", {}, el("tr", {}, this.columns.map((c) => this.header(c)))));
    const body = el("tbody");
    for (const row of rows) {
      body.append(el("tr", this.rowAttrs(row), this.columns.map((c) => el("td", { class: c.class }, (c.cell || c.value)(row)))));
    }
    if (!rows.length) body.append(el("tr", {}, el("td", { colspan: this.columns.length, class: "empty" }, this.empty)));
    table.append(body);
    this.container.replaceChildren(table, this.pager(start, rows.length, pages));
  }

  header(c) {
    if (this.onPage) return el("th", { class: c.class }, el("span", { class: "sort" }, c.label));
    const sorted = this.sortKey === c.key;
    const button = el("button", { type: "button", class: "sort" }, c.label, sorted ? (this.sortDesc ? " ▼" : " ▲") : "");
    button.addEventListener("click", () => this.sortBy(c.key));
    return el("th", { "aria-sort": sorted ? (this.sortDesc ? "descending" : "ascending") : "none", class: c.class }, button);
  }

  pager(start, shown, pages) {
    const prev = el("button", { type: "button", disabled: this.page === 0 }, "‹ Previous");
    const next = el("button", { type: "button", disabled: this.page >= pages - 1 }, "Next ›");
    prev.addEventListener("click", () => this.go(this.page - 1));
    next.addEventListener("click", () => this.go(this.page + 1));
    const size = el("select", { "aria-label": "rows per page" }, [25, 50, 100, 200].map((n) => el("option", { value: n, selected: n === this.pageSize }, `${n} per page`)));
    size.addEventListener("change", () => { this.pageSize = Number(size.value); this.go(0); });
    const range = this.total ? `${start + 1}–${start + shown} of ${this.total}` : "0 of 0";
    return el("div", { class: "pager" }, prev, el("span", { class: "range" }, range, ` · page ${this.page + 1} of ${pages}`), next, size);
  }
}

// Checks of the UI's modules, run in the browser by TestModulesInChromium: it
// loads modules.html#token=secret-token&from=a/b and reads #results.

import { takeFragmentToken, getToken } from "/api.js";
import { Table } from "/table.js";
import * as model from "/model.js";
import { drawMatrix } from "/mesh.js";
import { fmtRTT, ago } from "/dom.js";

const results = [];
const $ = (id) => document.getElementById(id);

function check(name, got, want) {
  const ok = JSON.stringify(got) === JSON.stringify(want);
  results.push(`${ok ? "ok" : "FAIL"} ${name}: got ${JSON.stringify(got)}${ok ? "" : ", want " + JSON.stringify(want)}`);
}

const cellTexts = (container) => [...container.querySelectorAll("tbody tr")].map((tr) => tr.firstChild.textContent);
const header = (container, label) => [...container.querySelectorAll("th button")].find((b) => b.textContent.startsWith(label));
const pagerButton = (container, label) => [...container.querySelectorAll(".pager button")].find((b) => b.textContent.includes(label));

function fragmentToken() {
  takeFragmentToken();
  check("the fragment's token is kept", getToken(), "secret-token");
  check("the token leaves the address bar, the rest stays", location.hash, "#from=a%2Fb");
}

function localTable() {
  const rows = [{ n: "b", v: 2 }, { n: "a", v: 10 }, { n: "c", v: 1 }, { n: "d", v: null }];
  const t = new Table($("table"), { pageSize: 2, columns: [{ key: "n", label: "N", value: (r) => r.n }, { key: "v", label: "V", value: (r) => r.v }] });
  t.setRows(rows);
  check("sorted by the first column, one page", cellTexts($("table")), ["a", "b"]);
  check("the pager", $("table").querySelector(".range").textContent, "1–2 of 4 · page 1 of 2");
  header($("table"), "V").click();
  check("sorted by V ascending", cellTexts($("table")), ["c", "b"]);
  header($("table"), "V").click();
  check("sorted by V descending", cellTexts($("table")), ["a", "b"]);
  pagerButton($("table"), "Next").click();
  check("page 2 keeps blanks last", cellTexts($("table")), ["c", "d"]);
  check("no page 3", pagerButton($("table"), "Next").disabled, true);
}

function remoteTable() {
  const asked = [];
  const t = new Table($("remote"), { pageSize: 25, columns: [{ key: "n", label: "N", value: (r) => r.n }], onPage: (page, size) => asked.push([page, size]) });
  t.setPage([{ n: "x" }, { n: "y" }], 60);
  check("a remote page", cellTexts($("remote")), ["x", "y"]);
  check("remote headers do not sort", $("remote").querySelectorAll("th button").length, 0);
  pagerButton($("remote"), "Next").click();
  check("the next page is asked for", asked, [[1, 25]]);
}

function matrices() {
  const m = model.matrix({ nodes: ["n1", "n2"], seconds: [[null, 0.001], [0.001, null]], sources: [["", "measured"], ["measured", ""]], samples: [[0, 3], [3, 0]] });
  check("a matrix cell", m.cell("n1", "n2"), { seconds: 0.001, source: "measured", samples: 3 });
  check("an unknown cell", m.cell("n1", "n1"), null);
  drawMatrix($("matrix"), $("hover"), m);
  check("a small matrix is a table", $("matrix").querySelectorAll("td[data-from]").length, 4);
  const nodes = Array.from({ length: 61 }, (_, i) => `node-${i}`);
  drawMatrix($("matrix"), $("hover"), model.matrix({ nodes, seconds: nodes.map(() => nodes.map(() => 0.0004)), sources: [], samples: [] }));
  check("a large matrix is a canvas", $("matrix").querySelector("canvas").getAttribute("aria-label"), "RTT matrix of 61 nodes");
  drawMatrix($("matrix"), $("hover"), { nodes: [] }, new Error("422 Unprocessable Entity: 600 nodes exceed the limit"));
  check("a refused matrix says why", $("matrix").textContent, "422 Unprocessable Entity: 600 nodes exceed the limit");
}

function readers() {
  const [c] = model.checks({ checks: [{ name: "x", pod: "p", namespace: "ns", history: [{ at: "2026-01-01T00:00:10Z", result: "failure" }, { at: "2026-01-01T00:00:00Z", result: "success" }] }] });
  check("history oldest first", c.history.map((r) => r.result), ["success", "failure"]);
  check("a check's pod", c.ref, "ns/p");
  const [m] = model.members({ members: [{ name: "ns/p/1", namespace: "ns", pod: "p", ownerKind: "Deployment", ownerName: "web" }] });
  check("a member's owner", m.owner, "Deployment/web");
}

function formats() {
  check("µs", fmtRTT(0.00012), "120 µs");
  check("ms", fmtRTT(0.0025), "2.50 ms");
  check("large ms", fmtRTT(0.1234), "123 ms");
  check("no RTT", fmtRTT(null), "—");
  const now = Date.parse("2026-01-01T01:00:00Z");
  check("seconds ago", ago("2026-01-01T00:59:30Z", now), "30 s ago");
  check("minutes and seconds ago", ago("2026-01-01T00:58:55Z", now), "1 min 5 s ago");
  check("hours ago", ago("2025-12-31T22:00:00Z", now), "3 h ago");
  check("a zero time", ago("0001-01-01T00:00:00Z", now), "—");
}

for (const run of [fragmentToken, localTable, remoteTable, matrices, readers, formats]) {
  try {
    run();
  } catch (err) {
    results.push(`FAIL ${run.name} threw: ${err.stack || err}`);
  }
}
$("results").textContent = results.join("\n") + "\nDONE";

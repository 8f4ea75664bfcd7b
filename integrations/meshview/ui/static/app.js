// The page: sign-in, periodic refresh of the view and wiring of the forms.
// No inline handlers: the Content-Security-Policy forbids inline script.

import { takeFragmentToken, getToken, setToken, forgetToken, getJSON, getAll, ApiError } from "./api.js";
import * as model from "./model.js";
import { summary, legend, drawMatrix, drawNodes } from "./mesh.js";
import { MemberList } from "./members.js";
import { CheckTable } from "./checks.js";
import { fillPods, lookup } from "./rtt.js";

const $ = (id) => document.getElementById(id);
const refreshEvery = 15000;

const state = { memberFilters: {}, timer: 0, loading: false };
let memberList, checkTable;

function formValues(form) {
  return Object.fromEntries([...new FormData(form).entries()].map(([k, v]) => [k, String(v).trim()]));
}

function showError(message) {
  const box = $("error");
  box.textContent = message;
  box.hidden = !message;
}

function showTokenPanel(show) {
  $("token-panel").hidden = !show;
  $("view").hidden = show;
  $("forget-token").hidden = show;
  if (show) $("token-input").focus();
}

async function refresh() {
  if (state.loading || !getToken()) return;
  state.loading = true;
  try {
    const matrixAnswer = getJSON("rtt/nodes", { zone: $("zone").value }).then(model.matrix, (err) => ({ nodes: [], error: err }));
    const [answer, m] = await Promise.all([getAll("members", "members"), matrixAnswer, checkTable.load()]);
    if (m.error && m.error.status === 401) throw m.error;
    const members = model.members(answer);
    summary($("summary"), members, m);
    fillZones($("zone"), members);
    drawMatrix($("matrix"), $("matrix-hover"), m, m.error);
    drawNodes($("nodes"), members);
    fillPods($("pods"), members);
    const { q = "", ...memberQuery } = state.memberFilters;
    memberList.set(Object.values(memberQuery).some(Boolean) ? model.members(await getAll("members", "members", memberQuery)) : members);
    memberList.search(q);
    $("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = "true";
    showError("");
  } catch (err) {
    failed(err);
  } finally {
    state.loading = false;
  }
}

// failed shows an API error; a refused token asks for another.
function failed(err) {
  const where = err instanceof ApiError ? `GET api/v1/${err.path}: ` : "";
  showError(`${where}${err.message}`);
  if (err instanceof ApiError && err.status === 401) {
    forgetToken();
    showTokenPanel(true);
  }
}

// fillZones offers the members' zones for the matrix (a large mesh's matrix
// is answered per zone only).
function fillZones(select, members) {
  const zones = [...new Set(members.map((m) => m.zone).filter(Boolean))].sort();
  const chosen = select.value;
  select.replaceChildren(new Option("all zones", ""), ...zones.map((z) => new Option(z, z)));
  select.value = zones.includes(chosen) ? chosen : "";
  select.hidden = zones.length === 0;
}

function schedule() {
  clearInterval(state.timer);
  if ($("auto-refresh").checked) state.timer = setInterval(refresh, refreshEvery);
}

function wire() {
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    setToken($("token-input").value);
    $("token-input").value = "";
    showTokenPanel(false);
    refresh();
  });
  $("forget-token").addEventListener("click", () => {
    forgetToken();
    showError("");
    showTokenPanel(true);
  });
  $("refresh").addEventListener("click", refresh);
  $("auto-refresh").addEventListener("change", schedule);
  $("zone").addEventListener("change", refresh);
  $("member-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    state.memberFilters = formValues(e.target);
    refresh();
  });
  $("check-filters").addEventListener("submit", (e) => {
    e.preventDefault();
    checkTable.filter(formValues(e.target));
    checkTable.load().then(() => showError(""), failed);
  });
  $("rtt-form").addEventListener("submit", (e) => {
    e.preventDefault();
    lookup(e.target, $("rtt-result"));
  });
}

function start() {
  memberList = new MemberList($("members-table"));
  checkTable = new CheckTable($("checks-table"), failed);
  legend($("rtt-legend"));
  wire();
  takeFragmentToken();
  const signedIn = Boolean(getToken());
  showTokenPanel(!signedIn);
  if (signedIn) refresh();
  if (signedIn) lookupFromFragment();
  schedule();
}

// lookupFromFragment runs the latency lookup a link asks for: #from=ns/pod&to=ns/pod.
function lookupFromFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  const form = $("rtt-form");
  if (!params.get("from") || !params.get("to")) return;
  form.elements.from.value = params.get("from");
  form.elements.to.value = params.get("to");
  lookup(form, $("rtt-result"));
}

start();

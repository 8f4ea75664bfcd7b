// The view API client: the bearer token and JSON GETs with errors a person can act on.

const tokenKey = "meshprobe.view.token";

// takeFragmentToken moves a token handed over as #token=... into sessionStorage
// and removes it from the address bar (and so from history and bookmarks).
export function takeFragmentToken() {
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token");
  if (token === null) return;
  params.delete("token");
  const rest = params.toString();
  history.replaceState(null, "", location.pathname + location.search + (rest ? "#" + rest : ""));
  if (token.trim() !== "") setToken(token);
}

export function getToken() {
  return sessionStorage.getItem(tokenKey) || "";
}

export function setToken(token) {
  sessionStorage.setItem(tokenKey, token.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(tokenKey);
}

// ApiError is a failed API call: status is the HTTP status (0 when the server
// could not be reached) and message says what to do about it.
export class ApiError extends Error {
  constructor(status, message, path) {
    super(message);
    this.status = status;
    this.path = path;
  }
}

// hints say what to do when the answer does not (a proxy's error page, say).
const hints = {
  401: "the token was refused: it may have expired or be mistyped; create a new one with kubectl create token",
  403: "the token's user may not read the mesh view: bind it to the meshprobe-view ClusterRole",
  429: "too many requests: the view server is rate limiting, try again shortly",
  503: "the view server is not ready yet (or cannot reach the Kubernetes API to check tokens)",
};

// getJSON fetches api/v1/<path> relative to the page (so the UI works behind a
// path prefix such as kubectl proxy's) with the token, dropping empty parameters.
export async function getJSON(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, v);
  const url = "api/v1/" + path + (query.size ? "?" + query : "");
  let resp;
  try {
    resp = await fetch(url, {
      headers: { Authorization: "Bearer " + getToken(), Accept: "application/json" },
      cache: "no-store",
      credentials: "omit",
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach the view server: ${err.message}`, path);
  }
  const text = await resp.text();
  if (!resp.ok) throw new ApiError(resp.status, describe(resp, text), path);
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(resp.status, "the answer is not JSON: " + text.slice(0, 200), path);
  }
}

// describe is "<status> <text>: <the API's message>", or the hint for the
// status when the body is not the API's JSON error ({status, reason, message}).
function describe(resp, body) {
  let message = "";
  try {
    message = JSON.parse(body).message || "";
  } catch {
    // not the API's answer: a proxy or load balancer's error page
  }
  const detail = message || [body.trim().slice(0, 200), hints[resp.status]].filter(Boolean).join(" — ");
  return `${resp.status} ${resp.statusText}${detail ? ": " + detail.slice(0, 600) : ""}`;
}

// pageLimit is the most items the API returns in one answer (meshview.MaxLimit).
const pageLimit = 10000;

// getAll fetches every page of a list answer ({total, offset, <field>: [...]})
// and returns the first answer with the whole list under field.
export async function getAll(path, field, params = {}) {
  const first = await getJSON(path, { ...params, limit: pageLimit });
  const items = first[field] || [];
  while (items.length < (first.total || 0)) {
    const next = await getJSON(path, { ...params, limit: pageLimit, offset: items.length });
    const page = next[field] || [];
    if (!page.length) break; // the list shrank meanwhile
    items.push(...page);
  }
  return { ...first, [field]: items };
}

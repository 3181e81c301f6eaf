// The JSON API client: session cookie + CSRF header, errors turned into readable messages.

let csrfToken = null;
const unauthorizedHandlers = new Set();

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
  get offline() {
    return this.status === 0 || this.status === 503;
  }
}

export function setCsrf(token) {
  csrfToken = token || null;
}

function csrfFromCookie() {
  const m = document.cookie.match(/(?:^|;\s*)reel_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

export function onUnauthorized(fn) {
  unauthorizedHandlers.add(fn);
  return () => unauthorizedHandlers.delete(fn);
}

export function query(params) {
  const qs = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => qs.append(key, v));
    else qs.append(key, String(value));
  }
  const s = qs.toString();
  return s ? `?${s}` : "";
}

const STATUS_HINTS = {
  0: "Reel's server can not be reached. Check that `reel serve` is running, then try again.",
  401: "Your session ended. Sign in again.",
  403: "You are not allowed to do that. Ask an admin.",
  404: "That was not found. It may have been removed by a sync.",
  429: "Too many attempts. Wait a moment and try again.",
  500: "Reel hit an internal error. Try again; if it persists, check the server log.",
  502: "The source answered badly. Check the source's settings and try again.",
  503: "The source is unreachable right now. Its items stay browsable; try again later.",
};

export async function request(method, path, { body, params, signal, keepalive } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") {
    const token = csrfToken || csrfFromCookie();
    if (token) headers["X-CSRF-Token"] = token;
  }
  let res;
  try {
    res = await fetch(`/api${path}${query(params)}`, {
      method, headers, signal, keepalive, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, STATUS_HINTS[0], null);
  }
  if (res.status === 204) return null;
  let data = null;
  const type = res.headers.get("content-type") || "";
  if (type.includes("json")) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (!res.ok) {
    let message = (data && (data.error || (typeof data.detail === "string" && data.detail))) || STATUS_HINTS[res.status] || `Request failed (${res.status}).`;
    if (res.status === 429) {
      const wait = res.headers.get("Retry-After");
      if (wait && !/\d+\s*s/.test(message)) message += ` Try again in ${wait} s.`;
    }
    const error = new ApiError(res.status, message, data);
    if (res.status === 401 && !path.startsWith("/auth/login") && !path.startsWith("/setup")) {
      unauthorizedHandlers.forEach((fn) => fn(error));
    }
    throw error;
  }
  return data;
}

export const api = {
  get: (path, params, opts = {}) => request("GET", path, { ...opts, params }),
  post: (path, body, opts = {}) => request("POST", path, { ...opts, body }),
  put: (path, body, opts = {}) => request("PUT", path, { ...opts, body }),
  patch: (path, body, opts = {}) => request("PATCH", path, { ...opts, body }),
  del: (path, opts = {}) => request("DELETE", path, opts),
};

export function imageUrl(item, kind = "poster") {
  if (!item || !item.artwork || !item.artwork[kind]) return null;
  return `/api/items/${item.id}/image/${encodeURIComponent(kind)}`;
}

// Progress reports that must survive the page closing: fetch with keepalive carries the
// CSRF header (sendBeacon can not), so it is the one used.
// Reports go out one at a time per item, the latest winning, so a pause and a close in
// the same instant never race each other on the server.
const progressQueue = new Map(); // item id -> {busy, pending}

export function reportProgress(itemId, body) {
  let q = progressQueue.get(itemId);
  if (!q) { q = { busy: false, pending: null }; progressQueue.set(itemId, q); }
  if (q.busy) { q.pending = body; return Promise.resolve(null); }
  q.busy = true;
  const send = (b) => request("PUT", `/items/${itemId}/progress`, { body: b, keepalive: true }).catch(() => null)
    .then((answer) => {
      if (q.pending) { const next = q.pending; q.pending = null; return send(next); }
      q.busy = false;
      progressQueue.delete(itemId);
      return answer;
    });
  return send(body);
}

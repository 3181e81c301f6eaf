// Hash routes (`#/item/12`): the server needs no fallback and links work when copied.

const routes = [];
let current = null;
let onChange = null;

export function route(pattern, view) {
  const keys = [];
  const re = new RegExp(
    "^" + pattern.replace(/:(\w+)/g, (_, key) => { keys.push(key); return "([^/]+)"; }) + "/?$",
  );
  routes.push({ re, keys, view, pattern });
}

export function parse(hash = location.hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  const queryParams = Object.fromEntries(new URLSearchParams(qs));
  for (const r of routes) {
    const m = path.match(r.re);
    if (m) {
      const params = {};
      r.keys.forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { view: r.view, pattern: r.pattern, params, query: queryParams, path };
    }
  }
  return { view: null, pattern: null, params: {}, query: queryParams, path };
}

export function navigate(path, { replace = false } = {}) {
  const hash = `#${path}`;
  if (replace) {
    history.replaceState(null, "", hash);
    dispatch();
  } else if (location.hash === hash) {
    dispatch();
  } else {
    location.hash = hash;
  }
}

export function start(handler) {
  onChange = handler;
  window.addEventListener("hashchange", dispatch);
  dispatch();
}

export function stop() {
  window.removeEventListener("hashchange", dispatch);
  onChange = null;
}

function dispatch() {
  current = parse();
  if (onChange) onChange(current);
}

export function currentRoute() {
  return current;
}

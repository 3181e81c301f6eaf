// The app frame: sidebar navigation, top bar (search, live-connection state, user menu)
// and the content area where the current view lives.
import { api } from "./api.js";
import { debounce, h, icon, logo, replace } from "./dom.js";
import * as router from "./router.js";
import { isAdmin, session } from "./session.js";
import * as ws from "./ws.js";
import { errorState, loading } from "./ui/states.js";
import { toast } from "./ui/toast.js";

const VIEWS = {
  "/": () => import("./views/home.js"),
  "/library/:id": () => import("./views/library.js"),
  "/search": () => import("./views/search.js"),
  "/item/:id": () => import("./views/details.js"),
  "/play/:id": () => import("./views/player.js"),
  "/live": () => import("./views/live.js"),
  "/guide": () => import("./views/guide.js"),
  "/sources": () => import("./views/sources.js"),
  "/settings": () => import("./views/settings.js"),
  "/users": () => import("./views/users.js"),
};
for (const pattern of Object.keys(VIEWS)) router.route(pattern, pattern);

const CONN_LABELS = {
  open: "Live", connecting: "Connecting…", reconnecting: "Reconnecting…", offline: "Offline", closed: "Disconnected",
};
const KIND_ICONS = { movies: "film", shows: "tv", live: "live", music: "library", mixed: "grid" };

export class Shell {
  constructor(root, { onLogout }) {
    this.root = root;
    this.onLogout = onLogout;
    this.view = null;
    this.viewPattern = null;
    this.seq = 0;
    this.cleanups = [];
  }

  mount() {
    this.nav = h("nav", { class: "sidebar", "aria-label": "Main" });
    this.content = h("main", { class: "content", id: "main", tabindex: "-1" });
    this.searchInput = h("input", {
      class: "input", type: "search", placeholder: "Search films, shows, channels…", "aria-label": "Search everything",
      autocomplete: "off", spellcheck: "false", id: "global-search",
    });
    this.conn = h("span", { class: "conn", role: "status", "aria-live": "polite", title: "Live updates" },
      h("span", { class: "dot", "aria-hidden": "true" }), h("span", { class: "label" }, "Connecting…"));
    const menuBtn = h("button", { class: "btn ghost icon menu-btn", type: "button", "aria-label": "Open navigation", "aria-expanded": "false" }, icon("menu"));
    this.userMenu = this.buildUserMenu();
    const topbar = h("header", { class: "topbar" },
      menuBtn,
      h("div", { class: "search-box", role: "search" }, icon("search"), this.searchInput),
      this.conn,
      this.userMenu,
    );
    const scrim = h("div", { class: "scrim", "aria-hidden": "true" });
    this.frame = h("div", { class: "shell" }, this.nav, scrim, h("div", { class: "main" }, topbar, this.content));
    replace(this.root, this.frame);

    const toggleNav = (open) => {
      this.frame.classList.toggle("nav-open", open);
      menuBtn.setAttribute("aria-expanded", String(open));
      if (open) this.nav.querySelector("a")?.focus();
    };
    menuBtn.addEventListener("click", () => toggleNav(!this.frame.classList.contains("nav-open")));
    scrim.addEventListener("click", () => toggleNav(false));
    this.nav.addEventListener("click", (e) => { if (e.target.closest("a")) toggleNav(false); });
    this.nav.addEventListener("keydown", (e) => { if (e.key === "Escape") { toggleNav(false); menuBtn.focus(); } });

    const goSearch = debounce((q) => {
      const path = q ? `/search?q=${encodeURIComponent(q)}` : "/search";
      const onSearch = router.currentRoute()?.pattern === "/search";
      router.navigate(path, { replace: onSearch });
    }, 150);
    this.searchInput.addEventListener("input", () => goSearch(this.searchInput.value.trim()));
    this.searchInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { goSearch.cancel(); router.navigate(`/search?q=${encodeURIComponent(this.searchInput.value.trim())}`, { replace: router.currentRoute()?.pattern === "/search" }); }
      if (e.key === "Escape") { this.searchInput.value = ""; this.searchInput.blur(); }
    });
    const onGlobalKey = (e) => {
      if (e.key === "/" && !e.ctrlKey && !e.metaKey && !isTyping(e.target) && !document.querySelector(".player")) {
        e.preventDefault();
        this.searchInput.focus();
      }
    };
    document.addEventListener("keydown", onGlobalKey);
    this.cleanups.push(() => document.removeEventListener("keydown", onGlobalKey));

    this.cleanups.push(ws.onState((state) => {
      this.conn.dataset.state = state;
      this.conn.querySelector(".label").textContent = CONN_LABELS[state] || state;
      this.conn.title = state === "open" ? "Live updates are on" : "Live updates are paused; Reel keeps retrying";
    }));
    this.cleanups.push(ws.on("sync.completed", () => this.loadLibraries()));
    this.cleanups.push(ws.on("sync.failed", (m) => { if (m.status !== "cancelled") toast(`Sync of ${m.source} failed: ${m.error}`, "error"); }));
    this.cleanups.push(ws.on("source.status", (m) => {
      if (m.status === "offline" && m.previous !== "offline") toast(`${m.source} is offline. Its items stay browsable.`, "warn");
      if (m.status === "ok" && m.previous === "offline") toast(`${m.source} is back online.`, "ok");
    }));
    this.renderNav([]);
    this.loadLibraries();
  }

  buildUserMenu() {
    const name = session.user?.username || "?";
    const btn = h("button", { class: "avatar", type: "button", "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": `Account menu for ${name}` }, name.slice(0, 1).toUpperCase());
    const menu = h("div", { class: "menu", role: "menu", hidden: true },
      h("div", { class: "who" }, "Signed in as ", h("b", null, name), isAdmin() ? " (admin)" : ""),
      h("a", { href: "#/settings", role: "menuitem" }, icon("settings"), "Settings"),
      h("button", { type: "button", role: "menuitem", id: "logout", onclick: () => this.onLogout() }, icon("logout"), "Sign out"),
    );
    const wrap = h("div", { class: "user-menu" }, btn, menu);
    const set = (open) => { menu.hidden = !open; btn.setAttribute("aria-expanded", String(open)); if (open) menu.querySelector("a,button")?.focus(); };
    btn.addEventListener("click", () => set(menu.hidden));
    menu.addEventListener("click", () => set(false));
    wrap.addEventListener("keydown", (e) => { if (e.key === "Escape") { set(false); btn.focus(); } });
    const outside = (e) => { if (!wrap.contains(e.target)) set(false); };
    document.addEventListener("click", outside);
    this.cleanups.push(() => document.removeEventListener("click", outside));
    return wrap;
  }

  async loadLibraries() {
    try {
      this.libraries = await api.get("/libraries");
      this.renderNav(this.libraries);
    } catch {
      // the nav keeps its fixed entries; views show their own errors
    }
  }

  renderNav(libraries) {
    const link = (href, label, iconName, extra) => h("a", { class: "nav-link", href, dataset: { href } }, icon(iconName), h("span", { class: "label" }, label), extra);
    const libs = (libraries || []).filter((l) => l.kind !== "live");
    // With several sources, one entry per kind browses them all together.
    const several = (kind) => libs.filter((l) => l.kind === kind).length > 1;
    const merged = [
      several("movies") ? link("#/library/movies", "All films", "film") : null,
      several("shows") ? link("#/library/shows", "All shows", "tv") : null,
    ];
    replace(this.nav,
      h("a", { class: "brand", href: "#/", "aria-label": "Reel home" }, logo(), "Reel"),
      link("#/", "Home", "home"),
      link("#/search", "Search", "search"),
      link("#/live", "Live TV", "live"),
      link("#/guide", "TV guide", "guide"),
      h("div", { class: "nav-section" }, "Libraries"),
      merged,
      libs.length ? libs.map((l) => link(`#/library/${l.id}`, libs.some((o) => o !== l && o.title === l.title) ? `${l.title} · ${l.source}` : l.title, KIND_ICONS[l.kind] || "grid", h("span", { class: "badge", title: `${l.source}` }, shortCount(l.count))))
        : h("p", { class: "faint", style: { padding: "4px 10px", fontSize: ".85rem" } }, isAdmin() ? "No libraries yet. Add a source to fill them." : "No libraries yet. Ask an admin to add a source."),
      isAdmin() ? [h("div", { class: "nav-section" }, "Manage"), link("#/sources", "Sources", "sources"), link("#/users", "Users", "users")] : null,
      link("#/settings", "Settings", "settings"),
    );
    this.markNav();
  }

  markNav() {
    const hash = location.hash || "#/";
    const path = hash.split("?")[0];
    for (const a of this.nav.querySelectorAll(".nav-link")) {
      const href = a.dataset.href;
      const on = href === "#/" ? path === "#/" || path === "#" : path === href || path.startsWith(`${href}/`);
      if (on) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  async show(route) {
    this.markNav();
    if (route.pattern !== "/search" && document.activeElement !== this.searchInput) this.searchInput.value = "";
    if (route.pattern === "/search" && document.activeElement !== this.searchInput) this.searchInput.value = route.query.q || "";
    if (route.view && route.view === this.viewPattern && this.view?.update) {
      this.view.update(route);
      return;
    }
    const seq = ++this.seq;
    this.view?.destroy?.();
    this.view = null;
    this.viewPattern = route.view;
    window.scrollTo(0, 0);
    if (!route.view) {
      replace(this.content, errorState({ message: "There is no page at this address. Go back, or start again from Home." }, { title: "Page not found", retry: () => router.navigate("/") }));
      return;
    }
    replace(this.content, loading());
    try {
      const mod = await VIEWS[route.view]();
      if (seq !== this.seq) return;
      const el = h("div", { class: "view" });
      replace(this.content, el);
      const view = (await mod.default({ el, params: route.params, query: route.query, route, shell: this })) || {};
      if (seq !== this.seq) { view.destroy?.(); return; }
      this.view = view;
      if (document.activeElement === document.body) this.content.focus({ preventScroll: true });
    } catch (err) {
      if (seq !== this.seq) return;
      console.error(err);
      replace(this.content, errorState(err, { retry: () => this.show(router.parse()) }));
    }
  }

  setTitle(title) {
    document.title = title ? `${title} · Reel` : "Reel";
  }

  destroy() {
    this.view?.destroy?.();
    this.cleanups.forEach((fn) => fn());
    this.cleanups = [];
  }
}

function shortCount(n) {
  if (n == null) return "";
  if (n >= 10000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(n);
}

export function isTyping(el) {
  return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

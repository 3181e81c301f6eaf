// A library: a virtual poster grid with filters and sorts remembered per library, and
// IPTV categories as a side list.
import { api } from "../api.js";
import * as router from "../router.js";
import { h, icon, replace } from "../dom.js";
import { count } from "../format.js";
import { load, save } from "../store.js";
import { isAdmin, isOffline, loadSources, onSourcesChanged } from "../session.js";
import * as ws from "../ws.js";
import { card } from "../ui/card.js";
import { emptyState, errorState, linkButton, loading } from "../ui/states.js";
import { VirtualGrid } from "../ui/virtualgrid.js";

const KIND_TYPES = { movies: ["movie"], shows: ["show"], live: ["channel"], music: [], mixed: ["movie", "show"] };
const CATEGORY_KIND = { movies: "vod", shows: "series", live: "live" };
const VIRTUAL = {
  movies: { id: "movies", title: "All films", kind: "movies", source: null, virtual: true },
  shows: { id: "shows", title: "All shows", kind: "shows", source: null, virtual: true },
  channels: { id: "channels", title: "All channels", kind: "live", source: null, virtual: true },
};
const DEFAULTS = { type: "", genre: "", decade: "", watched: "", source: "", category: "", sort: "title", desc: false };
const SORT_LABELS = { title: "Title", year: "Year", added: "Date added", rating: "Rating" };

export default async function library({ el, params, shell }) {
  replace(el, loading());
  let lib = VIRTUAL[params.id];
  let sources = [];
  try {
    const [libs, srcs] = await Promise.all([api.get("/libraries"), loadSources()]);
    sources = srcs;
    if (!lib) lib = libs.find((l) => String(l.id) === params.id);
  } catch (err) {
    replace(el, errorState(err, { retry: () => shell.show(router.parse()) }));
    return {};
  }
  if (!lib) {
    replace(el, emptyState({ title: "Library not found", iconName: "library", message: "It may have been removed with its source. Pick another library from the menu.", actions: [linkButton("Go home", "#/")] }));
    return {};
  }
  shell.setTitle(lib.title);
  const prefsKey = `library:${lib.id}`;
  const prefs = load(prefsKey, DEFAULTS);
  const types = KIND_TYPES[lib.kind] || [];
  const isLive = lib.kind === "live";

  // ----- side list of categories (IPTV) -----
  let categories = [];
  const catKind = CATEGORY_KIND[lib.kind];
  if (catKind && lib.source) {
    categories = await api.get("/categories", { source: lib.source, kind: catKind }).catch(() => []);
  }
  if (prefs.category && !categories.some((c) => String(c.id) === String(prefs.category))) prefs.category = "";

  // ----- toolbar -----
  const sel = (name, label, options, value) => {
    const s = h("select", { class: "input", name, "aria-label": label },
      options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text)));
    s.addEventListener("change", () => { prefs[name] = s.value; changed(); });
    return s;
  };
  const genres = await api.get("/genres", { type: types.length ? types : undefined }).catch(() => []);
  const thisYear = new Date().getFullYear();
  const decades = [];
  for (let d = Math.floor(thisYear / 10) * 10; d >= 1920; d -= 10) decades.push([String(d), `${d}s`]);
  const controls = [];
  if (lib.kind === "mixed") controls.push(sel("type", "Type", [["", "Films and shows"], ["movie", "Films"], ["show", "Shows"]], prefs.type));
  if (!isLive && genres.length) controls.push(sel("genre", "Genre", [["", "All genres"], ...genres.map((g) => [g, g])], prefs.genre));
  if (!isLive) controls.push(sel("decade", "Year", [["", "Any year"], ...decades], prefs.decade));
  if (!isLive) controls.push(sel("watched", "Watched", [["", "Watched or not"], ["false", "Unwatched"], ["true", "Watched"]], prefs.watched));
  if (lib.virtual && sources.length > 1) controls.push(sel("source", "Source", [["", "All sources"], ...sources.map((s) => [s.name, s.name])], prefs.source));
  const sortSel = sel("sort", "Sort by", Object.entries(SORT_LABELS), prefs.sort);
  const dirBtn = h("button", { class: "btn small", type: "button", "aria-label": "Sort direction" });
  const setDir = () => { dirBtn.textContent = prefs.desc ? "↓ Descending" : "↑ Ascending"; dirBtn.setAttribute("aria-pressed", String(prefs.desc)); };
  setDir();
  dirBtn.addEventListener("click", () => { prefs.desc = !prefs.desc; setDir(); changed(); });
  const resetBtn = h("button", { class: "btn small ghost", type: "button" }, "Clear filters");
  resetBtn.addEventListener("click", () => {
    Object.assign(prefs, { ...DEFAULTS, sort: prefs.sort, desc: prefs.desc });
    for (const s of controls) s.value = prefs[s.name] ?? "";
    markCategory();
    changed();
  });
  const countEl = h("span", { class: "count", "aria-live": "polite" });
  const toolbar = h("div", { class: "toolbar", role: "toolbar", "aria-label": "Filters and sort" }, controls, sortSel, dirBtn, resetBtn, countEl);

  const offlineBanner = h("div", { class: "banner", role: "status", hidden: true });
  const changedBanner = h("div", { class: "banner warn", role: "status", hidden: true },
    h("span", { class: "grow" }, "This library changed since it was loaded."),
    h("button", { class: "btn small", type: "button", onclick: () => { changedBanner.hidden = true; grid.refresh(); } }, icon("refresh"), "Refresh"));
  const updateOffline = () => {
    const off = lib.source && isOffline(lib.source);
    offlineBanner.hidden = !off;
    offlineBanner.textContent = off ? `${lib.source} is offline. Its items stay browsable from Reel's catalog; playing needs the source back.` : "";
  };
  updateOffline();

  // ----- the grid -----
  const filtersActive = () => Boolean(prefs.genre || prefs.decade || prefs.watched || prefs.category || prefs.source || prefs.type);
  const queryParams = () => {
    const q = {
      type: prefs.type ? [prefs.type] : types,
      library: lib.virtual ? undefined : lib.id,
      source: lib.virtual ? prefs.source || undefined : undefined,
      category: prefs.category || undefined,
      genre: !isLive && prefs.genre ? prefs.genre : undefined,
      watched: !isLive && prefs.watched ? prefs.watched : undefined,
      sort: prefs.sort, desc: prefs.desc ? "true" : undefined,
    };
    if (prefs.decade && !isLive) { q.year_min = Number(prefs.decade); q.year_max = Number(prefs.decade) + 9; }
    return q;
  };
  const fetchPage = (after, limit, signal) => api.get("/items", { ...queryParams(), limit, after: after || undefined }, { signal });
  const knownTotal = () => {
    if (filtersActive()) return null;
    return lib.virtual ? null : lib.count ?? null;
  };
  const emptyView = () => filtersActive()
    ? emptyState({ title: "Nothing matches these filters", iconName: "search", message: "Loosen a filter or clear them all.", actions: [h("button", { class: "btn primary", type: "button", onclick: () => resetBtn.click() }, "Clear filters")] })
    : emptyState({
      title: "This library is empty", iconName: "library",
      message: isAdmin() ? "Sync its source to fill it; items appear as they arrive." : "Its source has not been synced yet. Check back later.",
      actions: isAdmin() ? [linkButton("Go to Sources", "#/sources")] : [],
    });
  const grid = new VirtualGrid({
    fetchPage, total: knownTotal(), emptyView,
    aspect: isLive ? 9 / 16 : 1.5, shape: isLive ? "channel" : "portrait",
    renderCard: (item) => card(item),
    onState: ({ loaded, total, capped, done, error }) => {
      if (error) { countEl.textContent = ""; return; }
      const n = done ? loaded : total;
      countEl.textContent = n != null ? `${count(n)}${capped ? "+" : ""} ${n === 1 && !capped ? "item" : "items"}` : `${count(loaded)}+ items`;
    },
  });

  // ----- categories side list -----
  const side = h("nav", { class: "side-list", "aria-label": "Categories" });
  const markCategory = () => {
    for (const b of side.querySelectorAll("button")) b.setAttribute("aria-current", String(b.dataset.id === String(prefs.category || "")));
  };
  if (categories.length) {
    const btn = (id, name, n) => h("button", { type: "button", dataset: { id: String(id) }, onclick: () => { prefs.category = id; markCategory(); changed(); } },
      h("span", null, name), n != null ? h("span", { class: "count" }, count(n)) : null);
    side.append(btn("", "All categories", null), ...categories.map((c) => btn(c.id, c.name, c.count)));
    markCategory();
  }

  function changed() {
    save(prefsKey, prefs);
    changedBanner.hidden = true;
    grid.reset({ total: knownTotal() });
  }

  const head = h("div", { class: "page-head" },
    h("div", { class: "grow" },
      h("h1", null, lib.title),
      h("p", { class: "sub" }, lib.source ? [lib.source, " · ", lib.kind] : "Every source")),
    isLive ? h("a", { class: "btn", href: "#/guide" }, icon("guide"), "TV guide") : null);
  const body = h("div", null, toolbar, grid.el);
  replace(el, head, offlineBanner, changedBanner,
    h("div", { class: `library ${categories.length ? "" : "no-side"}` }, categories.length ? side : null, body));
  grid.el.remove();
  grid.mount(body);

  // ----- live updates -----
  let refreshTimer = 0;
  const onItems = (msg) => {
    if (lib.source && msg.source !== lib.source) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      if (grid.items.length <= 600 && window.scrollY < 2000) grid.refresh();
      else changedBanner.hidden = false;
    }, 800);
  };
  const offs = [
    ws.on("items.changed", onItems),
    ws.on("events.dropped", () => { changedBanner.hidden = false; }),
    ws.on("sync.completed", async (m) => {
      if (lib.source && m.source !== lib.source) return;
      const libs = await api.get("/libraries").catch(() => null);
      const fresh = libs?.find((l) => l.id === lib.id);
      if (fresh) lib.count = fresh.count;
    }),
    onSourcesChanged(updateOffline),
  ];
  return {
    destroy() {
      clearTimeout(refreshTimer);
      offs.forEach((f) => f());
      grid.destroy();
    },
  };
}

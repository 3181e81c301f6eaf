// Search as you type across every source, results grouped by type.
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { TYPE_LABELS, count } from "../format.js";
import { card } from "../ui/card.js";
import { emptyState, errorState } from "../ui/states.js";

const GROUPS = ["movie", "show", "episode", "channel"];
const PER_GROUP = 24;

export default function search({ el, query, shell }) {
  let controller = null;
  const results = h("div", { "aria-live": "polite" });
  const heading = h("h1", null, "Search");
  replace(el, h("div", { class: "page-head" }, heading), results);
  // On a phone the top bar's field is the one to type in; keep it focused.
  document.getElementById("global-search")?.focus();

  async function run(q) {
    controller?.abort();
    shell.setTitle(q ? `Search: ${q}` : "Search");
    heading.textContent = q ? `Results for “${q}”` : "Search";
    if (!q) {
      replace(results, emptyState({ title: "Search everything", iconName: "search", message: "Type in the search box above to find films, shows, episodes and channels across every source. Press / anywhere to jump to it." }));
      return;
    }
    controller = new AbortController();
    const { signal } = controller;
    results.setAttribute("aria-busy", "true");
    try {
      const pages = await Promise.all(GROUPS.map((type) => api.get("/search", { q, type, limit: PER_GROUP }, { signal })));
      if (signal.aborted) return;
      const groups = GROUPS.map((type, i) => ({ type, items: pages[i].items || [], more: Boolean(pages[i].next) }))
        .filter((g) => g.items.length);
      results.setAttribute("aria-busy", "false");
      if (!groups.length) {
        replace(results, emptyState({ title: "No matches", iconName: "search", message: `Nothing in the catalog matches “${q}”. Try fewer or different words; titles from sources that have not synced yet are not searchable.` }));
        return;
      }
      replace(results, groups.map((g) => h("section", { class: "search-group", "aria-label": TYPE_LABELS[g.type], dataset: { type: g.type } },
        h("div", { class: "shelf-head" }, h("h2", null, TYPE_LABELS[g.type]), h("span", { class: "faint" }, g.more ? `${count(g.items.length)}+` : count(g.items.length))),
        h("div", { class: "grid-static", style: g.type === "episode" || g.type === "channel" ? { gridTemplateColumns: "repeat(auto-fill, minmax(220px, 1fr))" } : null },
          g.items.map((it) => card(it))))));
    } catch (err) {
      if (err.name === "AbortError") return;
      results.setAttribute("aria-busy", "false");
      replace(results, errorState(err, { retry: () => run(q) }));
    }
  }

  run((query.q || "").trim());
  return {
    update(route) { run((route.query.q || "").trim()); },
    destroy() { controller?.abort(); },
  };
}

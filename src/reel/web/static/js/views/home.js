// Home: continue watching, next up, recently added per library, live now.
import { api } from "../api.js";
import { h, replace } from "../dom.js";
import { loadGate } from "../loads.js";
import { timeOfDay, episodeCode } from "../format.js";
import { isAdmin, loadSources } from "../session.js";
import * as ws from "../ws.js";
import { card, shelf } from "../ui/card.js";
import { emptyState, errorState, linkButton, loading } from "../ui/states.js";

export default async function home({ el, shell }) {
  shell.setTitle("Home");
  let alive = true;
  let timer = 0;
  // Live events reload the page, often (another tab's player reports); see loads.js.
  const loads = loadGate();

  async function draw() {
    const ticket = loads.begin();
    const [sources, libraries, cont, nextUp, live] = await Promise.all([
      loadSources(true).catch(() => null),
      api.get("/libraries").catch(() => []),
      api.get("/continue", { limit: 20 }).catch(() => ({ items: [] })),
      api.get("/next-up", { limit: 20 }).catch(() => ({ items: [] })),
      api.get("/epg/now", { limit: 20 }).catch(() => ({ channels: [] })),
    ]);
    if (!alive || loads.superseded(ticket)) return;
    if (sources === null) {
      loads.forget();
      replace(el, errorState({ status: 0, message: "Reel's server did not answer. Check that it is running, then try again." }, { retry: draw }));
      return;
    }
    if (!sources.length) {
      loads.forget();
      replace(el, h("div", { class: "page-head" }, h("h1", null, "Home")),
        emptyState({
          title: "Nothing here yet",
          iconName: "sources",
          message: isAdmin()
            ? "Add a source — a Plex or Jellyfin server, an Xtream panel or an M3U playlist — and Reel will sync its catalog here."
            : "An admin has not added any source yet. Ask them to add one under Sources.",
          actions: isAdmin() ? [linkButton("Add a source", "#/sources?add=1")] : [],
        }));
      return;
    }
    const recents = await Promise.all(libraries.filter((l) => l.kind !== "live").map(async (lib) => {
      const page = await api.get("/recent", { library: lib.id, limit: 20 }).catch(() => ({ items: [] }));
      return { lib, items: page.items || [] };
    }));
    if (!alive || loads.superseded(ticket)) return;
    if (!loads.news([sources, libraries, cont, nextUp, live, recents])) return;
    const parts = [h("div", { class: "page-head" }, h("h1", null, "Home"))];
    const offline = sources.filter((s) => s.status === "offline");
    if (offline.length) {
      parts.push(h("div", { class: "banner warn", role: "status" },
        `${offline.map((s) => s.name).join(", ")} ${offline.length === 1 ? "is" : "are"} offline. Their items stay browsable; playing them needs the source back.`));
    }
    if (cont.items?.length) parts.push(shelf({ title: "Continue watching", items: cont.items, shape: "landscape", wide: true, mapItem: (it) => card(it, { shape: "landscape", title: it.type === "episode" ? it.title : undefined, subtitle: it.type === "episode" ? episodeCode(it) : undefined }) }));
    if (nextUp.items?.length) parts.push(shelf({ title: "Next up", items: nextUp.items, shape: "landscape", wide: true }));
    const channels = (live.channels || []).filter((c) => c.now);
    if (channels.length) {
      parts.push(shelf({
        title: "Live now", items: channels, href: "#/live", wide: true,
        mapItem: (c) => card({ id: c.id, type: "channel", title: c.title, artwork: c.artwork || {}, source: c.source },
          { shape: "channel", live: true, subtitle: `${c.now.title} · until ${timeOfDay(c.now.stop)}` }),
      }));
    }
    for (const { lib, items } of recents) {
      if (items.length) parts.push(shelf({ title: `Recently added in ${lib.title}`, items, href: `#/library/${lib.id}` }));
    }
    if (parts.length === 1 || (parts.length === 2 && offline.length)) {
      parts.push(emptyState({
        title: "Your libraries are empty",
        iconName: "refresh",
        message: isAdmin() ? "Sources are added but nothing is synced yet. Start a sync and items appear here as they arrive." : "Nothing is synced yet. Check back after the next sync.",
        actions: isAdmin() ? [linkButton("Go to Sources", "#/sources")] : [],
      }));
    }
    replace(el, parts);
  }

  replace(el, loading());
  await draw();
  const soon = () => { clearTimeout(timer); timer = setTimeout(() => alive && draw(), 1500); };
  const offs = [ws.on("sync.completed", soon), ws.on("watch.changed", soon), ws.on("reconnected", soon), ws.on("source.status", soon)];
  return { destroy() { alive = false; clearTimeout(timer); offs.forEach((f) => f()); } };
}

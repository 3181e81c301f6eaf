// Details of a film, show, season, episode or channel: artwork, facts, overview, cast,
// source(s), play/resume, mark watched; a show's seasons and episodes.
import { api, imageUrl } from "../api.js";
import { h, icon, replace } from "../dom.js";
import { loadGate } from "../loads.js";
import { clock, duration, episodeCode, timeOfDay } from "../format.js";
import { isOffline, statusOf } from "../session.js";
import * as ws from "../ws.js";
import { posterFrame } from "../ui/card.js";
import { emptyState, errorState, linkButton, loading } from "../ui/states.js";
import { toast } from "../ui/toast.js";

export default async function details({ el, params, shell }) {
  const id = Number(params.id);
  let item = null;
  let parent = null;
  let alive = true;
  let selectedSeason = null;
  // A show whose episodes were never fetched from its source (Xtream series): fetched
  // on demand; null while idle, "loading", or the error to show.
  let childrenFetch = null;

  // The click's own reload, a live event's and the children fetch overlap (loads.js).
  const loads = loadGate();

  /** Loads the item (and its show); true when the page must be redrawn. */
  async function fetchAll() {
    const ticket = loads.begin();
    const fresh = await api.get(`/items/${id}`);
    let freshParent = null;
    if (fresh.type === "episode" || fresh.type === "season") {
      const showId = fresh.type === "season" ? fresh.parent_id : await showIdOf(fresh);
      if (showId) freshParent = await api.get(`/items/${showId}`).catch(() => null);
    }
    if (loads.superseded(ticket) || !loads.news([fresh, freshParent])) return false;
    item = fresh;
    parent = freshParent;
    return true;
  }

  async function showIdOf(ep) {
    if (!ep.parent_id) return null;
    const season = await api.get(`/items/${ep.parent_id}`).catch(() => null);
    if (!season) return null;
    return season.type === "show" ? season.id : season.parent_id;
  }

  async function draw() {
    try {
      loads.forget(); // a first draw, or a retry after an error: always redraw
      if (!(await fetchAll())) return;
    } catch (err) {
      if (!alive) return;
      if (err.status === 404) {
        replace(el, emptyState({ title: "This item is gone", iconName: "film", message: "A sync removed it from its source, or the link is wrong. Search for it again.", actions: [linkButton("Search", "#/search")] }));
      } else replace(el, errorState(err, { retry: draw }));
      return;
    }
    if (!alive) return;
    shell.setTitle(item.title);
    render();
    if (item.children_pending && childrenFetch === null) fetchChildren();
  }

  async function fetchChildren() {
    childrenFetch = "loading";
    render();
    const ticket = loads.begin();
    try {
      const fetched = await api.post(`/items/${item.id}/children`);
      if (!alive) return;
      if (!loads.superseded(ticket)) {
        item = fetched;
        loads.news([item, parent]);
      }
      childrenFetch = null;
    } catch (err) {
      if (!alive) return;
      childrenFetch = err;
    }
    render();
  }

  function render() {
    const backdropSrc = imageUrl(item, "backdrop") || (parent && imageUrl(parent, "backdrop"));
    const backdrop = h("div", { class: "backdrop", "aria-hidden": "true" });
    if (backdropSrc) backdrop.style.backgroundImage = `url("${backdropSrc}")`;
    const posterItem = item.type === "season" && parent && !item.artwork?.poster ? { ...parent, played: item.played, position_ms: 0 } : item;
    const poster = posterFrame(posterItem, item.type === "episode" ? "landscape" : item.type === "channel" ? "channel" : "portrait");

    const facts = [];
    if (item.type === "episode" && parent) facts.push(h("a", { href: `#/item/${parent.id}`, class: "badge info" }, parent.title));
    if (item.type === "season" && parent) facts.push(h("a", { href: `#/item/${parent.id}`, class: "badge info" }, parent.title));
    if (item.type === "episode") facts.push(h("span", null, episodeCode(item)));
    if (item.year) facts.push(h("span", null, String(item.year)));
    if (item.duration_ms) facts.push(h("span", null, duration(item.duration_ms)));
    if (item.rating) facts.push(h("span", { title: "Rating" }, `★ ${Number(item.rating).toFixed(1)}`));
    if (item.channel_number) facts.push(h("span", null, `Channel ${item.channel_number}`));
    if (item.category) facts.push(h("span", null, item.category));
    for (const g of (item.genres || []).slice(0, 4)) facts.push(h("span", { class: "badge" }, g));
    if (item.played) facts.push(h("span", { class: "badge ok" }, icon("check", "icon-svg"), "Watched"));

    const actions = h("div", { class: "actions" }, playActions(), watchedButton());
    const sources = Array.isArray(item.sources) && item.sources.length ? item.sources : [{ source: item.source }];
    const offline = sources.every((s) => isOffline(s.source));
    const kv = h("dl", { class: "kv" },
      h("dt", null, sources.length > 1 ? "Sources" : "Source"),
      h("dd", null, sources.map((s) => h("span", { class: "row source-copy", style: { display: "inline-flex", marginRight: "10px" } },
        s.id && s.id !== item.id ? h("a", { href: `#/item/${s.id}`, title: `Open the copy in ${s.source}` }, s.source) : s.source,
        isOffline(s.source) ? h("span", { class: "badge danger" }, "offline") : statusOf(s.source) === "ok" ? h("span", { class: "badge ok" }, "online") : null))),
      item.original_title && item.original_title !== item.title ? [h("dt", null, "Original title"), h("dd", null, item.original_title)] : null,
      item.ids && Object.keys(item.ids).length ? [h("dt", null, "IDs"), h("dd", null, Object.entries(item.ids).map(([k, v]) => `${k}: ${v}`).join(" · "))] : null,
      item.path ? [h("dt", null, "File"), h("dd", { style: { wordBreak: "break-all" } }, item.path)] : null,
    );
    const body = h("div", null,
      h("h1", null, item.title),
      h("div", { class: "facts" }, facts),
      offline ? h("div", { class: "banner", role: "status" }, `${item.source} is offline. You can browse this, but playing it needs the source back online.`) : null,
      actions,
      item.overview ? h("p", { class: "overview" }, item.overview) : h("p", { class: "overview faint" }, "No description from the source."),
      kv,
    );
    if (item.type === "channel") body.append(nowNext());
    const sections = [];
    if (Array.isArray(item.cast) && item.cast.length) sections.push(castSection(item.cast));
    if (item.type === "show") sections.push(item.children_pending ? pendingEpisodes() : seasonsSection(item.children || []));
    if (item.type === "season") sections.push(episodesSection(item.children || []));
    replace(el,
      h("section", { class: "details" }, backdrop, h("div", { class: "details-body" }, poster, body)),
      sections);
  }

  function pendingEpisodes() {
    if (childrenFetch && childrenFetch !== "loading") {
      return errorState(childrenFetch, { retry: () => fetchChildren(), title: "Episodes not available yet" });
    }
    return h("div", { class: "panel", role: "status", "aria-live": "polite", id: "episodes-loading" },
      h("p", { class: "muted" }, `Fetching the seasons and episodes from ${item.source}…`));
  }

  function playActions() {
    if (item.type === "channel") return h("a", { class: "btn primary large", href: `#/play/${item.id}` }, icon("play"), "Watch live");
    let target = item;
    if (item.type === "show" || item.type === "season") {
      target = nextEpisode(item);
      if (!target) return h("span", { class: "muted" }, item.children_pending ? "Episodes are being fetched…" : "No episodes synced yet.");
    }
    const resume = target.position_ms > 0 && !target.played;
    const label = item.type === "show" || item.type === "season"
      ? `${resume ? "Resume" : "Play"} ${episodeCode(target)}`.trim()
      : resume ? `Resume from ${clock(target.position_ms / 1000)}` : "Play";
    const parts = [h("a", { class: "btn primary large", href: `#/play/${target.id}`, id: "play-button" }, icon("play"), label)];
    if (resume) parts.push(h("a", { class: "btn large", href: `#/play/${target.id}?start=0` }, "Play from start"));
    return parts;
  }

  function watchedButton() {
    if (item.type === "channel") return null;
    const btn = h("button", { class: "btn large", type: "button", id: "watched-button", "aria-pressed": String(Boolean(item.played)) },
      icon(item.played ? "x" : "check"), item.played ? "Mark unwatched" : "Mark watched");
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      try {
        const state = await api.put(`/items/${item.id}/watched`, { played: !item.played });
        toast(state.played ? `Marked “${item.title}” watched.` : `Marked “${item.title}” unwatched.`, "ok");
        if (state.pending_write_back) toast(`${item.source} is offline; it will hear of this when it is back.`, "warn");
        // Redraw when the load brought news, or when nothing else will (this button,
        // still disabled, is on the page).
        if (((await fetchAll()) || btn.isConnected) && alive) render();
      } catch (err) {
        btn.disabled = false;
        toast(err.message, "error");
      }
    });
    return btn;
  }

  function allEpisodes(node) {
    if (node.type === "season") return [...(node.children || [])];
    return (node.children || []).flatMap((s) => (s.type === "season" ? s.children || [] : [s]));
  }

  function nextEpisode(node) {
    const eps = allEpisodes(node);
    const started = eps.find((e) => e.position_ms > 0 && !e.played);
    if (started) return started;
    const lastWatched = eps.map((e) => e.played).lastIndexOf(true);
    return eps[lastWatched + 1] || eps[0] || null;
  }

  function seasonsSection(seasons) {
    if (!seasons.length) return emptyState({ title: "No seasons yet", iconName: "tv", message: "The source has not listed any episodes for this show. A later sync may bring them." });
    if (!selectedSeason || !seasons.some((s) => s.id === selectedSeason)) {
      const next = nextEpisode(item);
      selectedSeason = (next && seasons.find((s) => (s.children || []).some((e) => e.id === next.id))?.id) || seasons[0].id;
    }
    const list = h("div");
    const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": "Seasons" });
    const show = (sid) => {
      selectedSeason = sid;
      for (const t of tabs.children) {
        const on = Number(t.dataset.id) === sid;
        t.setAttribute("aria-selected", String(on));
        t.setAttribute("aria-pressed", String(on));
        t.tabIndex = on ? 0 : -1;
      }
      replace(list, episodesSection(seasons.find((s) => s.id === sid)?.children || []));
    };
    for (const s of seasons) {
      const label = s.title || (s.season != null ? `Season ${s.season}` : "Specials");
      tabs.append(h("button", { class: "chip", role: "tab", type: "button", dataset: { id: String(s.id) }, onclick: () => show(s.id) }, label,
        s.played ? icon("check") : null));
    }
    tabs.addEventListener("keydown", (e) => {
      const i = seasons.findIndex((s) => s.id === selectedSeason);
      const j = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -2;
      if (j === -2 || !seasons[j]) return;
      e.preventDefault();
      show(seasons[j].id);
      tabs.children[j].focus();
    });
    show(selectedSeason);
    return h("section", { "aria-label": "Seasons and episodes" }, tabs, list);
  }

  function episodesSection(episodes) {
    if (!episodes.length) return emptyState({ title: "No episodes yet", iconName: "tv", message: "This season has no episodes in the catalog. A later sync may bring them." });
    return h("div", { class: "episodes", role: "list" }, episodes.map((ep) => {
      const toggle = h("button", { class: "btn icon ghost", type: "button", title: ep.played ? "Mark unwatched" : "Mark watched", "aria-label": `${ep.played ? "Mark unwatched" : "Mark watched"}: ${ep.title}`, "aria-pressed": String(Boolean(ep.played)) }, icon(ep.played ? "check" : "eye"));
      toggle.addEventListener("click", async () => {
        try {
          await api.put(`/items/${ep.id}/watched`, { played: !ep.played });
          if ((await fetchAll()) && alive) render();
        } catch (err) { toast(err.message, "error"); }
      });
      return h("div", { class: "episode", role: "listitem" },
        h("a", { href: `#/play/${ep.id}`, "aria-label": `Play ${episodeCode(ep)} ${ep.title}` }, posterFrame(ep, "landscape")),
        h("div", { style: { minWidth: 0 } },
          h("a", { class: "ep-title", href: `#/item/${ep.id}` }, `${ep.episode != null ? `${ep.episode}. ` : ""}${ep.title}`),
          h("div", { class: "ep-meta" }, [episodeCode(ep), duration(ep.duration_ms), ep.played ? "Watched" : ep.position_ms > 0 ? `${clock(ep.position_ms / 1000)} in` : null].filter(Boolean).join(" · ")),
          ep.overview ? h("p", { class: "ep-overview" }, ep.overview) : null),
        toggle);
    }));
  }

  function castSection(cast) {
    return h("section", { class: "shelf", "aria-label": "Cast" },
      h("div", { class: "shelf-head" }, h("h2", null, "Cast")),
      h("div", { class: "cast" }, cast.slice(0, 30).map((p) => h("div", { class: "person" },
        h("div", { class: "face" }, p.image ? h("img", { src: p.image, alt: "", loading: "lazy" }) : (p.name || "?").slice(0, 1)),
        h("div", null, p.name), p.role ? h("div", { class: "faint" }, p.role) : null))));
  }

  function nowNext() {
    const box = h("div", { class: "panel", style: { marginTop: "18px", maxWidth: "760px" } }, h("p", { class: "muted" }, "Loading the guide…"));
    api.get("/epg/now", { channel: item.id }).then((data) => {
      const ch = (data.channels || [])[0];
      if (!ch || (!ch.now && !ch.next)) {
        replace(box, h("p", { class: "muted" }, "No guide data for this channel. Add an XMLTV guide to its source to see what is on."));
        return;
      }
      replace(box,
        ch.now ? h("p", null, h("b", null, "Now: "), ch.now.title, h("span", { class: "faint" }, ` · ${timeOfDay(ch.now.start)}–${timeOfDay(ch.now.stop)}`)) : null,
        ch.now?.description ? h("p", { class: "muted", style: { margin: "4px 0 10px" } }, ch.now.description) : null,
        ch.next ? h("p", null, h("b", null, "Next: "), ch.next.title, h("span", { class: "faint" }, ` · ${timeOfDay(ch.next.start)}`)) : null);
    }).catch((err) => replace(box, h("p", { class: "muted" }, err.message)));
    return box;
  }

  replace(el, loading());
  await draw();
  let timer = 0;
  const offs = [
    ws.on("items.changed", (m) => {
      if (!item || m.source !== item.source || (item.type !== "show" && item.type !== "season")) return;
      clearTimeout(timer);
      timer = setTimeout(() => alive && fetchAll().then((changed) => changed && alive && render()).catch(() => {}), 500);
    }),
    ws.on("watch.changed", (m) => {
      if (!item) return;
      const ids = new Set(m.item_ids);
      if (ids.has(item.id) || allEpisodes(item).some((e) => ids.has(e.id))) {
        clearTimeout(timer);
        timer = setTimeout(() => alive && fetchAll().then((changed) => changed && alive && render()).catch(() => {}), 300);
      }
    }),
  ];
  return { destroy() { alive = false; clearTimeout(timer); offs.forEach((f) => f()); } };
}

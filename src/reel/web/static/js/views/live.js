// Live TV: channels by category with what is on now and next.
import { api, imageUrl } from "../api.js";
import { h, icon, replace } from "../dom.js";
import { count, timeOfDay } from "../format.js";
import { loadValue, save } from "../store.js";
import { isAdmin, isOffline } from "../session.js";
import { emptyState, errorState, linkButton, loading } from "../ui/states.js";

const PAGE = 120;

export default async function live({ el, shell }) {
  shell.setTitle("Live TV");
  replace(el, loading());
  let categories;
  try {
    categories = await api.get("/categories", { kind: "live" });
  } catch (err) {
    replace(el, errorState(err, { retry: () => live({ el, shell }) }));
    return {};
  }
  let selected = loadValue("live:category", "");
  if (selected && !categories.some((c) => String(c.id) === String(selected))) selected = "";
  let controller = null;
  let refreshTimer = 0;

  const side = h("nav", { class: "side-list", "aria-label": "Channel categories" });
  const list = h("div", { class: "channel-list", role: "list", "aria-live": "polite" });
  const more = h("div", { class: "vgrid-status" });
  const head = h("div", { class: "page-head" },
    h("div", { class: "grow" }, h("h1", null, "Live TV"), h("p", { class: "sub" }, "Channels by category, with what is on now.")),
    h("a", { class: "btn", href: "#/guide" }, icon("guide"), "TV guide"));
  const mark = () => { for (const b of side.querySelectorAll("button")) b.setAttribute("aria-current", String(b.dataset.id === String(selected))); };
  const catBtn = (id, name, n) => h("button", { type: "button", dataset: { id: String(id) }, onclick: () => { selected = id; save("live:category", id); mark(); loadChannels(); } },
    h("span", null, name), n != null ? h("span", { class: "count" }, count(n)) : null);
  side.append(catBtn("", "All channels", null), ...categories.map((c) => catBtn(c.id, categories.some((o) => o.name === c.name && o.source !== c.source) ? `${c.name} (${c.source})` : c.name, c.count)));
  mark();
  replace(el, head, h("div", { class: `library ${categories.length ? "" : "no-side"}` }, categories.length ? side : null, h("div", null, list, more)));

  let next = null;
  async function loadChannels(append = false) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    if (!append) { replace(list, h("p", { class: "muted" }, "Loading channels…")); next = null; }
    try {
      const page = await api.get("/items", { type: "channel", category: selected || undefined, sort: "title", limit: PAGE, after: append ? next : undefined }, { signal });
      const ids = page.items.map((c) => c.id);
      const epg = ids.length ? await api.get("/epg/now", { channel: ids, limit: ids.length }, { signal }).catch(() => ({ channels: [] })) : { channels: [] };
      if (signal.aborted) return;
      const byId = new Map((epg.channels || []).map((c) => [c.id, c]));
      if (!append) list.replaceChildren();
      if (!page.items.length && !append) {
        replace(list, emptyState({
          title: "No channels", iconName: "live",
          message: isAdmin() ? "Add an Xtream or M3U source and sync it; its channels appear here." : "No channels are synced yet. Ask an admin to add an IPTV source.",
          actions: isAdmin() ? [linkButton("Go to Sources", "#/sources")] : [],
        }));
      }
      list.append(...page.items.map((c) => channelRow(c, byId.get(c.id))));
      next = page.next;
      replace(more, next ? h("button", { class: "btn", type: "button", onclick: () => loadChannels(true) }, "Show more channels") : null);
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(list, errorState(err, { retry: () => loadChannels() }));
    }
  }

  loadChannels();
  refreshTimer = setInterval(() => { if (!next) loadChannels(); }, 60000);
  return { destroy() { controller?.abort(); clearInterval(refreshTimer); } };
}

export function channelRow(channel, epg) {
  const logoUrl = imageUrl(channel, "logo") || imageUrl(channel, "poster");
  const now = epg?.now;
  const nextProg = epg?.next;
  let pct = 0;
  if (now) {
    const a = Date.parse(now.start);
    const b = Date.parse(now.stop);
    pct = Math.max(0, Math.min(100, ((Date.now() - a) / (b - a)) * 100));
  }
  const offline = isOffline(channel.source);
  return h("a", { class: "channel", href: `#/play/${channel.id}`, role: "listitem", dataset: { id: channel.id }, "aria-label": `${channel.title}${now ? `, now: ${now.title}` : ""}${offline ? ", source offline" : ""}` },
    h("div", { class: "logo" }, logoUrl ? h("img", { src: logoUrl, alt: "", loading: "lazy", onerror: (e) => e.target.remove() }) : (channel.channel_number ?? "TV")),
    h("div", { style: { minWidth: 0 } },
      h("div", { class: "name" }, channel.channel_number ? `${channel.channel_number}  ` : "", channel.title),
      now ? h("div", { class: "now" }, now.title, h("span", { class: "faint" }, ` · until ${timeOfDay(now.stop)}`)) : h("div", { class: "now faint" }, "No guide data"),
      nextProg ? h("div", { class: "next" }, `Next: ${nextProg.title} at ${timeOfDay(nextProg.start)}`) : null,
      now ? h("div", { class: "bar", "aria-hidden": "true" }, h("i", { style: { width: `${pct}%` } })) : null),
    offline ? h("span", { class: "badge danger" }, "offline") : h("span", { class: "btn icon ghost", "aria-hidden": "true" }, icon("play")));
}

// Poster cards: one builder for shelves, grids and search results.
import { h, icon } from "../dom.js";
import { imageUrl } from "../api.js";
import { episodeCode } from "../format.js";
import { isOffline } from "../session.js";

export function itemHref(item) {
  return item.type === "channel" ? `#/play/${item.id}` : `#/item/${item.id}`;
}

export function shapeOf(item) {
  if (item.type === "channel") return "channel";
  if (item.type === "episode") return "landscape";
  return "portrait";
}

function initials(title) {
  return (title || "?").split(/\s+/).slice(0, 3).map((w) => w[0] || "").join("").toUpperCase();
}

export function posterImage(item, kinds, alt = "") {
  for (const kind of kinds) {
    const url = imageUrl(item, kind);
    if (url) {
      const img = h("img", { src: url, alt, loading: "lazy", decoding: "async", draggable: "false" });
      img.addEventListener("load", () => img.classList.add("loaded"), { once: true });
      img.addEventListener("error", () => img.remove(), { once: true });
      return img;
    }
  }
  return null;
}

export function posterFrame(item, shape = shapeOf(item), extra = {}) {
  const kinds = shape === "channel" ? ["logo", "poster", "thumb"]
    : shape === "landscape" ? ["thumb", "backdrop", "poster"] : ["poster", "thumb"];
  const cls = `poster ${shape === "portrait" ? "" : shape === "channel" ? "landscape channel" : "landscape"}`;
  const frame = h("div", { class: cls },
    h("div", { class: "ph", "aria-hidden": "true" }, shape === "channel" ? item.title : initials(item.title)),
    posterImage(item, kinds),
  );
  const duration = item.duration_ms || 0;
  if (!item.played && item.position_ms > 0 && duration > 0) {
    const pct = Math.min(100, Math.max(2, (item.position_ms / duration) * 100));
    frame.append(h("div", { class: "progress-bar", "aria-hidden": "true" }, h("i", { style: { width: `${pct}%` } })));
  }
  if (item.played && item.type !== "channel") {
    frame.append(h("div", { class: "watched-badge", title: "Watched" }, icon("check")));
  }
  if (isOffline(item.source)) {
    frame.append(h("span", { class: "offline-badge", title: `${item.source} is offline` }, "Offline"));
  } else if (extra.live) {
    frame.append(h("span", { class: "live-badge" }, "LIVE"));
  }
  return frame;
}

export function cardMeta(item) {
  switch (item.type) {
    case "episode": {
      const code = episodeCode(item);
      return [code, item.year].filter(Boolean).join(" · ");
    }
    case "channel":
      return [item.channel_number ? `Ch ${item.channel_number}` : null, item.category].filter(Boolean).join(" · ");
    case "show":
      return [item.year, "Show"].filter(Boolean).join(" · ");
    default:
      return item.year ? String(item.year) : (item.type === "season" ? "Season" : "");
  }
}

export function card(item, { shape, subtitle, title, live = false } = {}) {
  const label = [title || item.title, subtitle ?? cardMeta(item), item.played ? "watched" : null, isOffline(item.source) ? "source offline" : null]
    .filter(Boolean).join(", ");
  return h("a", { class: "card", href: itemHref(item), "aria-label": label, dataset: { id: item.id, type: item.type } },
    posterFrame(item, shape || shapeOf(item), { live }),
    h("div", { class: "title", title: title || item.title }, title || item.title),
    h("div", { class: "meta" }, subtitle ?? cardMeta(item) ?? "\u00a0"),
  );
}

export function skeletonCard(shape = "portrait") {
  return h("div", { class: "card", "aria-hidden": "true" },
    h("div", { class: `poster skeleton ${shape === "portrait" ? "" : "landscape"}` }),
    h("div", { class: "skeleton skeleton-line", style: { width: "80%" } }),
    h("div", { class: "skeleton skeleton-line", style: { width: "40%" } }),
  );
}

export function shelf({ title, items, href, shape, wide = false, mapItem }) {
  const track = h("div", { class: `shelf-track ${wide ? "wide" : ""}`, role: "list" },
    items.map((it) => {
      const c = mapItem ? mapItem(it) : card(it, { shape });
      c.setAttribute("role", "listitem");
      return c;
    }));
  return h("section", { class: "shelf", "aria-label": title },
    h("div", { class: "shelf-head" }, h("h2", null, title), href ? h("a", { href }, "See all") : null),
    track,
  );
}

// The TV guide: a time-by-channel grid with a line at "now"; channel names stay in view.
import { api } from "../api.js";
import { h, icon, replace } from "../dom.js";
import { timeOfDay } from "../format.js";
import { loadValue, save } from "../store.js";
import * as router from "../router.js";
import { emptyState, errorState, linkButton, loading } from "../ui/states.js";
import { modal } from "../ui/modal.js";

const HOURS = 4;
const SLOT_MIN = 30;

export default async function guide({ el, shell }) {
  shell.setTitle("TV guide");
  replace(el, loading());
  const categories = await api.get("/categories", { kind: "live" }).catch(() => []);
  let category = loadValue("guide:category", "");
  if (category && !categories.some((c) => String(c.id) === String(category))) category = "";
  let start = floorSlot(new Date());
  let controller = null;
  let tick = 0;

  const catSel = h("select", { class: "input", "aria-label": "Category" },
    h("option", { value: "" }, "All categories"),
    categories.map((c) => h("option", { value: String(c.id), selected: String(c.id) === String(category) }, c.name)));
  catSel.addEventListener("change", () => { category = catSel.value; save("guide:category", category); draw(); });
  const earlier = h("button", { class: "btn small", type: "button", onclick: () => { start = new Date(start.getTime() - 2 * 3600e3); draw(); } }, "← Earlier");
  const nowBtn = h("button", { class: "btn small", type: "button", onclick: () => { start = floorSlot(new Date()); draw(true); } }, "Now");
  const later = h("button", { class: "btn small", type: "button", onclick: () => { start = new Date(start.getTime() + 2 * 3600e3); draw(); } }, "Later →");
  const range = h("span", { class: "count" });
  const box = h("div");
  replace(el,
    h("div", { class: "page-head" }, h("div", { class: "grow" }, h("h1", null, "TV guide"), h("p", { class: "sub" }, "Pick a programme to watch its channel.")),
      h("a", { class: "btn", href: "#/live" }, icon("live"), "Channel list")),
    h("div", { class: "toolbar", role: "toolbar", "aria-label": "Guide controls" }, catSel, earlier, nowBtn, later, range),
    box);

  async function draw(scrollToNow = true) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    box.setAttribute("aria-busy", "true");
    try {
      const data = await api.get("/guide", { category: category || undefined, at: start.toISOString(), hours: HOURS, limit: 100 }, { signal });
      if (signal.aborted) return;
      box.setAttribute("aria-busy", "false");
      const from = new Date(data.start || start);
      const to = new Date(data.stop || start.getTime() + HOURS * 3600e3);
      range.textContent = `${from.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" })} ${timeOfDay(from)}–${timeOfDay(to)}`;
      if (!data.channels?.length) {
        replace(box, emptyState({ title: "No channels to show", iconName: "guide", message: "Add an IPTV source with a guide (XMLTV) and sync it; its programmes appear here.", actions: [linkButton("Go to Sources", "#/sources", false)] }));
        return;
      }
      renderGrid(data.channels, from, to, scrollToNow);
    } catch (err) {
      if (err.name === "AbortError") return;
      replace(box, errorState(err, { retry: () => draw() }));
    }
  }

  function renderGrid(channels, from, to, scrollToNow) {
    const pxPerMin = parseFloat(getComputedStyle(el).getPropertyValue("--px-per-min")) || (window.innerWidth < 760 ? 4 : 6);
    const minutes = (to - from) / 60000;
    const width = minutes * pxPerMin;
    const x = (t) => ((new Date(t) - from) / 60000) * pxPerMin;
    const times = h("div", { class: "guide-times", "aria-hidden": "true" }, h("div", { class: "corner" }));
    for (let m = 0; m < minutes; m += SLOT_MIN) {
      times.append(h("div", { class: "tick", style: { width: `${SLOT_MIN * pxPerMin}px` } }, timeOfDay(new Date(from.getTime() + m * 60000))));
    }
    const now = Date.now();
    const rows = channels.map((ch) => {
      const progs = h("div", { class: "progs", style: { width: `${width}px` } });
      for (const p of ch.programmes || []) {
        const left = Math.max(0, x(p.start));
        const right = Math.min(width, x(p.stop));
        if (right <= left) continue;
        const on = Date.parse(p.start) <= now && now < Date.parse(p.stop);
        progs.append(h("button", {
          class: `prog ${on ? "now" : ""}`, type: "button", style: { left: `${left}px`, width: `${Math.max(4, right - left - 3)}px` },
          title: `${p.title} (${timeOfDay(p.start)}–${timeOfDay(p.stop)})`,
          "aria-label": `${ch.title}: ${p.title}, ${timeOfDay(p.start)} to ${timeOfDay(p.stop)}`,
          onclick: () => programme(ch, p, on),
        }, h("span", { class: "pt" }, p.title), h("span", { class: "pm" }, `${timeOfDay(p.start)}–${timeOfDay(p.stop)}`)));
      }
      if (!(ch.programmes || []).length) progs.append(h("span", { class: "faint", style: { position: "absolute", left: "12px", top: "18px", fontSize: ".84rem" } }, "No guide data"));
      return h("div", { class: "guide-row", role: "row", dataset: { id: ch.id } },
        h("a", { class: "chan", href: `#/play/${ch.id}`, role: "rowheader", title: `Watch ${ch.title}` }, ch.channel_number ? h("b", { class: "faint" }, String(ch.channel_number)) : null, h("span", null, ch.title)),
        progs);
    });
    const grid = h("div", { class: "guide-grid", role: "grid", "aria-label": "TV guide", style: { width: `calc(var(--chan-w) + ${width}px)` } }, times, rows);
    if (now >= from && now < to) grid.append(h("div", { class: "now-line", style: { left: `calc(var(--chan-w) + ${x(now)}px)` }, title: "Now" }));
    const scroller = h("div", { class: "guide", tabindex: "0" }, grid);
    replace(box, scroller);
    if (scrollToNow && now >= from && now < to) scroller.scrollLeft = Math.max(0, x(now) - 120);
  }

  function programme(ch, p, on) {
    const watch = h("button", { class: "btn primary", type: "button" }, icon("play"), on ? "Watch now" : "Watch channel");
    const m = modal({
      title: p.title,
      body: [h("p", { class: "muted" }, `${ch.title} · ${timeOfDay(p.start)}–${timeOfDay(p.stop)}`), p.description ? h("p", null, p.description) : h("p", { class: "faint" }, "No description in the guide.")],
      actions: [watch],
    });
    watch.addEventListener("click", () => { m.close(); router.navigate(`/play/${ch.id}`); });
  }

  await draw();
  tick = setInterval(() => draw(false), 60000);
  return { destroy() { controller?.abort(); clearInterval(tick); } };
}

function floorSlot(d) {
  const t = new Date(d);
  t.setMinutes(t.getMinutes() < 30 ? 0 : 30, 0, 0);
  return new Date(t.getTime() - 30 * 60000);
}

// Sources: add/edit/remove, test, sync with live progress bars, history and errors.
import { api } from "../api.js";
import { h, icon, replace } from "../dom.js";
import { loadGate } from "../loads.js";
import { TYPE_LABELS, count, relative } from "../format.js";
import { isAdmin, loadSources } from "../session.js";
import * as ws from "../ws.js";
import { confirmDialog, modal } from "../ui/modal.js";
import { emptyState, errorState, loading } from "../ui/states.js";
import { toast } from "../ui/toast.js";
import { KINDS, addSourceDialog, editSourceDialog, kindIcon } from "./source_forms.js";

const STATUS_BADGE = { ok: "ok", offline: "danger", "needs sign-in": "warn", new: "info", syncing: "info", error: "danger" };
const PHASE_LABELS = { live: "Channels", vod: "Films", series: "Series", listing: "Listing", libraries: "Libraries", categories: "Categories", items: "Items", children: "Episodes", epg: "Guide", sweep: "Cleaning up", writing: "Saving" };

export default async function sources({ el, query, shell }) {
  shell.setTitle("Sources");
  const admin = isAdmin();
  let list = [];
  const progress = new Map(); // source name -> {phase, done, total}
  // Source name -> when its last live sync event arrived. A /sync snapshot asked for
  // before that is older than what the event said and must not paint over it.
  const heard = new Map();
  const loads = loadGate();
  const rows = new Map(); // source name -> {node, bar}
  const listBox = h("div", { class: "source-list" });
  const historyBox = h("div", { class: "table-wrap" });
  const syncAll = h("button", { class: "btn", type: "button", onclick: () => startSync(null) }, icon("refresh"), "Sync all");
  const addBtn = h("button", { class: "btn primary", type: "button", id: "add-source", onclick: () => openAdd() }, icon("plus"), "Add source");
  replace(el,
    h("div", { class: "page-head" },
      h("div", { class: "grow" }, h("h1", null, "Sources"), h("p", { class: "sub" }, admin ? "Servers and playlists Reel keeps its catalog from." : "Where this Reel's catalog comes from. Only admins can change them.")),
      admin ? [syncAll, addBtn] : null),
    loading());

  function openAdd() { addSourceDialog({ existing: list, onAdded: () => refresh() }); }

  async function refresh() {
    // Refreshes overlap (an add's own, a live event's, a reconnect's): the newest draws.
    const ticket = loads.begin();
    try {
      const asked = performance.now();
      const [srcs, running] = await Promise.all([loadSources(true), api.get("/sync").catch(() => ({ running: [] }))]);
      if (loads.superseded(ticket)) return;
      list = srcs;
      for (const p of running.running || []) if (!((heard.get(p.source) ?? -1) > asked)) progress.set(p.source, p);
      draw();
      loadHistory();
    } catch (err) {
      if (!loads.superseded(ticket)) replace(el.lastChild, errorState(err, { retry: refresh }));
    }
  }

  function draw() {
    const head = el.firstChild;
    replace(el, head);
    syncAll.disabled = !list.length;
    if (!list.length) {
      el.append(emptyState({
        title: "No sources yet", iconName: "sources",
        message: admin ? "Add a Plex or Jellyfin server, an Xtream Codes panel, an M3U playlist or local folders. Reel syncs their catalogs so you can browse them even offline." : "Ask an admin to add one.",
        actions: admin ? [h("button", { class: "btn primary", type: "button", onclick: openAdd }, icon("plus"), "Add your first source")] : [],
      }));
      return;
    }
    rows.clear();
    replace(listBox, list.map((s) => sourceRow(s)));
    el.append(h("section", { class: "panel", "aria-label": "Sources" }, listBox),
      h("section", { class: "panel", "aria-label": "Sync history" }, h("div", { class: "panel-head" }, h("h2", { class: "grow" }, "Recent syncs")), historyBox));
  }

  function sourceRow(s) {
    const counts = Object.entries(s.counts || {}).filter(([, n]) => n > 0).map(([t, n]) => `${count(n)} ${(TYPE_LABELS[t] || t).toLowerCase()}`);
    const bar = h("div", { class: "sync-progress", hidden: true, role: "progressbar", "aria-label": `Sync of ${s.name}`, "aria-valuemin": "0" });
    const syncBtn = h("button", { class: "btn small", type: "button", dataset: { action: "sync" }, onclick: () => (progress.has(s.name) ? cancelSync(s.name) : startSync([s.name])) });
    const node = h("article", { class: "source", dataset: { source: s.name, status: s.status }, "aria-label": s.name },
      kindIcon(s.kind),
      h("div", { style: { minWidth: 0 } },
        h("div", { class: "row wrap" }, h("span", { class: "src-name" }, s.name), h("span", { class: `badge ${STATUS_BADGE[s.status] || ""}`, dataset: { role: "status" } }, s.status),
          s.enabled === false ? h("span", { class: "badge" }, "disabled") : null),
        h("div", { class: "src-meta" },
          h("span", null, KINDS[s.kind]?.label || s.kind),
          h("span", null, `Last sync ${relative(s.last_sync)}`),
          h("span", null, s.auto_sync && s.sync_interval_s ? `Syncs every ${interval(s.sync_interval_s)}` : "Syncs when asked"),
          counts.length ? h("span", null, counts.join(", ")) : h("span", null, "Nothing synced yet")),
        s.status === "offline" ? h("div", { class: "err" }, "Offline: its items stay browsable from the catalog. Reel retries on the next sync; use Test to check it now.") : null,
        s.last_error ? h("div", { class: "err", dataset: { role: "error" } }, `Last error: ${s.last_error}`) : null,
        bar),
      admin ? h("div", { class: "src-actions" },
        syncBtn,
        h("button", { class: "btn small", type: "button", onclick: (e) => testSource(s, e.currentTarget) }, "Test"),
        h("button", { class: "btn small", type: "button", onclick: () => showHistory(s) }, "History"),
        h("button", { class: "btn small ghost icon", type: "button", "aria-label": `Edit ${s.name}`, onclick: () => editSourceDialog(s, { onSaved: refresh }) }, icon("edit")),
        h("button", { class: "btn small ghost icon danger", type: "button", "aria-label": `Remove ${s.name}`, onclick: () => removeSource(s) }, icon("trash"))) : null);
    rows.set(s.name, { node, bar, syncBtn });
    paintProgress(s.name);
    return node;
  }

  function paintProgress(name) {
    const row = rows.get(name);
    if (!row) return;
    const p = progress.get(name);
    row.syncBtn.textContent = p ? "Cancel sync" : "Sync now";
    if (!p) { row.bar.hidden = true; return; }
    row.bar.hidden = false;
    const known = p.total != null && p.total > 0;
    const pct = known ? Math.min(100, Math.round((p.done / p.total) * 100)) : null;
    const phase = PHASE_LABELS[p.phase] || p.phase || "Starting";
    row.bar.setAttribute("aria-valuenow", String(known ? pct : 0));
    row.bar.setAttribute("aria-valuetext", known ? `${phase}: ${p.done} of ${p.total}` : `${phase}: ${p.done ?? 0}`);
    row.bar.dataset.done = String(p.done ?? 0);
    replace(row.bar,
      h("div", { class: "label" }, h("span", null, `Syncing · ${phase}`), h("span", null, known ? `${count(p.done)} / ${count(p.total)} (${pct}%)` : `${count(p.done || 0)}`)),
      h("div", { class: `meter ${known ? "" : "indeterminate"}` }, h("i", { style: { width: `${known ? pct : 35}%` } })));
  }

  async function startSync(names) {
    try {
      const answer = await api.post("/sync", { sources: names, full: false });
      for (const n of answer.started || []) if (!progress.has(n)) { progress.set(n, { source: n, phase: "starting", done: 0, total: null }); paintProgress(n); }
      if (!(answer.started || []).length) toast("Nothing to sync: every source is disabled or already syncing.", "warn");
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function cancelSync(name) {
    try { await api.post("/sync/cancel", { sources: [name] }); toast(`Cancelling the sync of ${name}…`); } catch (err) { toast(err.message, "error"); }
  }

  async function testSource(s, btn) {
    btn.disabled = true;
    const old = btn.textContent;
    btn.textContent = "Testing…";
    try {
      const r = await api.post(`/sources/${s.id}/test`);
      const good = r.reachable && r.authenticated;
      toast(good ? `${s.name}: connected${r.latency_ms != null ? ` in ${r.latency_ms} ms` : ""}. ${r.message || ""}` : `${s.name}: ${r.message || (r.reachable ? "signed in failed; check the credentials" : "unreachable; check the URL and that the server is up")}`, good ? "ok" : "error");
    } catch (err) {
      toast(`${s.name}: ${err.message}`, "error");
    } finally {
      btn.disabled = false;
      btn.textContent = old;
      refresh();
    }
  }

  async function removeSource(s) {
    const yes = await confirmDialog({ title: `Remove ${s.name}?`, message: "Its items, categories and guide leave the catalog. Watch history for them is lost. The server itself is not touched.", confirm: "Remove", danger: true });
    if (!yes) return;
    try { await api.del(`/sources/${s.id}`); toast(`Removed ${s.name}.`, "ok"); refresh(); } catch (err) { toast(err.message, "error"); }
  }

  async function loadHistory() {
    try {
      const data = await api.get("/sync/history", { limit: 15 });
      replace(historyBox, historyTable(data.runs || []));
    } catch (err) {
      replace(historyBox, h("p", { class: "muted" }, err.message));
    }
  }

  async function showHistory(s) {
    const body = h("div", { class: "table-wrap" }, h("p", { class: "muted" }, "Loading…"));
    modal({ title: `Sync history of ${s.name}`, body, wide: true });
    try {
      const data = await api.get("/sync/history", { source: s.name, limit: 50 });
      replace(body, historyTable(data.runs || []));
    } catch (err) { replace(body, h("p", { class: "form-error" }, err.message)); }
  }

  await refresh();
  if (query.add && admin) openAdd();
  const upd = (m) => {
    heard.set(m.source, performance.now());
    const p = progress.get(m.source) || {};
    progress.set(m.source, { ...p, ...m });
    paintProgress(m.source);
  };
  let reloadTimer = 0;
  const soon = () => { clearTimeout(reloadTimer); reloadTimer = setTimeout(refresh, 300); };
  const offs = [
    ws.on("sync.started", (m) => upd({ ...m, phase: "starting", done: 0, total: null })),
    ws.on("sync.progress", upd),
    ws.on("sync.completed", (m) => {
      heard.set(m.source, performance.now());
      progress.delete(m.source);
      paintProgress(m.source);
      const added = Object.values(m.added || {}).reduce((a, b) => a + b, 0);
      const updated = Object.values(m.updated || {}).reduce((a, b) => a + b, 0);
      toast(`${m.source} synced: ${count(added)} added, ${count(updated)} updated.`, "ok");
      soon();
    }),
    ws.on("sync.failed", (m) => { heard.set(m.source, performance.now()); progress.delete(m.source); paintProgress(m.source); soon(); }),
    ws.on("source.status", soon),
    ws.on("reconnected", refresh),
  ];
  return { destroy() { clearTimeout(reloadTimer); offs.forEach((f) => f()); } };
}

function interval(s) {
  if (s % 86400 === 0) return s === 86400 ? "day" : `${s / 86400} days`;
  if (s % 3600 === 0) return s === 3600 ? "hour" : `${s / 3600} hours`;
  return `${Math.round(s / 60)} min`;
}

function historyTable(runs) {
  if (!runs.length) return h("p", { class: "muted" }, "No syncs yet. Use “Sync now” on a source.");
  const sum = (m) => Object.values(m || {}).reduce((a, b) => a + (typeof b === "number" ? b : 0), 0);
  return h("table", { class: "table" },
    h("thead", null, h("tr", null, ["Source", "Started", "Kind", "Status", "Duration", "Changes / error"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", null, runs.map((r) => {
      const secs = r.finished_at && r.started_at ? Math.max(0, (Date.parse(r.finished_at) - Date.parse(r.started_at)) / 1000) : null;
      const c = r.counts || {};
      const detail = r.error ? h("span", { class: "form-error" }, r.error)
        : c.added || c.updated || c.removed ? `${sum(c.added)} added, ${sum(c.updated)} updated, ${sum(c.removed)} removed`
          : Object.entries(c).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", ");
      return h("tr", null,
        h("td", null, r.source), h("td", { title: r.started_at }, relative(r.started_at)), h("td", null, r.kind),
        h("td", null, h("span", { class: `badge ${r.status === "ok" ? "ok" : r.status === "running" ? "info" : r.status === "cancelled" ? "warn" : "danger"}` }, r.status)),
        h("td", null, secs == null ? "—" : `${secs.toFixed(1)} s`), h("td", null, detail));
    })));
}

// The player: HTML5 video (hls.js for HLS), resume, progress reports every 10 s and on
// pause/stop/close, next episode, keyboard shortcuts, and now/next for live channels.
import { api, reportProgress } from "../api.js";
import { h, icon } from "../dom.js";
import { clock, episodeCode, timeOfDay } from "../format.js";
import { loadValue, save } from "../store.js";
import { isOffline } from "../session.js";
import * as router from "../router.js";

const REPORT_EVERY_MS = 10000;
const HLS_TYPES = ["application/vnd.apple.mpegurl", "application/x-mpegurl", "audio/mpegurl"];

export default async function player({ el, params, query, shell }) {
  const id = Number(params.id);
  const video = h("video", { playsinline: true, preload: "auto", "aria-label": "Video", id: "video" });
  video.volume = loadValue("volume", 1);
  video.muted = loadValue("muted", false);
  const t1 = h("div", { class: "t1" }, "Loading…");
  const t2 = h("div", { class: "t2" });
  const backBtn = h("button", { class: "btn ghost icon", type: "button", "aria-label": "Back (Escape)" }, icon("back"));
  const playBtn = h("button", { class: "btn icon", type: "button", "aria-label": "Play (space)", id: "play-toggle" }, icon("play"));
  const nextBtn = h("button", { class: "btn icon", type: "button", "aria-label": "Next episode (n)", hidden: true }, icon("next"));
  const muteBtn = h("button", { class: "btn icon", type: "button", "aria-label": "Mute (m)" }, icon("volume"));
  const volume = h("input", { class: "volume", type: "range", min: "0", max: "1", step: "0.05", value: String(video.volume), "aria-label": "Volume" });
  const fsBtn = h("button", { class: "btn icon", type: "button", "aria-label": "Full screen (f)" }, icon("fullscreen"));
  const seek = h("input", { class: "seek", type: "range", min: "0", max: "1000", step: "1", value: "0", "aria-label": "Seek" });
  const time = h("span", { class: "time", "aria-live": "off" }, "0:00 / 0:00");
  const nowbar = h("div", { class: "nowbar", hidden: true });
  const osd = h("div", { class: "osd", "aria-hidden": "true" });
  const msg = h("div", { class: "msg", hidden: true });
  const upnext = h("div", { class: "upnext", hidden: true, role: "status" });
  const chrome = h("div", { class: "chrome" },
    h("div", { class: "top" }, backBtn, h("div", { class: "titles" }, t1, t2)),
    h("div", { class: "bottom" }, nowbar, seek,
      h("div", { class: "controls" }, playBtn, nextBtn, time, h("div", { class: "grow" }), muteBtn, volume, fsBtn)));
  const root = h("div", { class: "player", role: "region", "aria-label": "Player", tabindex: "-1" }, video, chrome, osd, msg, upnext);
  document.body.append(root);
  root.focus();
  shell.setTitle("Playing");

  let item = null;
  let info = null;
  let hls = null;
  let live = false;
  let nextEp = null;
  let lastReport = 0;
  let reportedEnd = false;
  let idleTimer = 0;
  let osdTimer = 0;
  let nowTimer = 0;
  let upnextTimer = 0;
  let destroyed = false;

  // ----- helpers -----
  const showOsd = (text) => { osd.textContent = text; osd.classList.add("show"); clearTimeout(osdTimer); osdTimer = setTimeout(() => osd.classList.remove("show"), 700); };
  const wake = () => {
    root.classList.remove("idle");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => { if (!video.paused) root.classList.add("idle"); }, 3000);
  };
  const showMessage = (title, text, buttons = []) => {
    msg.hidden = false;
    msg.replaceChildren(h("div", { class: "box", role: "alert" }, h("h2", null, title), text ? h("p", { class: "muted" }, text) : null, h("div", { class: "row" }, buttons)));
  };
  const back = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    if (history.length > 1) history.back();
    else router.navigate(item && item.type !== "channel" ? `/item/${item.id}` : "/");
  };

  function report(state) {
    if (!item || live || !Number.isFinite(video.currentTime)) return;
    const duration = Number.isFinite(video.duration) ? Math.round(video.duration * 1000) : item.duration_ms || undefined;
    const position = Math.round(video.currentTime * 1000);
    if (state !== "stopped" && position <= 0) return;
    lastReport = Date.now();
    reportProgress(item.id, { position_ms: position, duration_ms: duration, state });
  }

  // ----- wiring -----
  playBtn.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
  video.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
  video.addEventListener("dblclick", () => toggleFullscreen());
  backBtn.addEventListener("click", back);
  fsBtn.addEventListener("click", () => toggleFullscreen());
  muteBtn.addEventListener("click", () => { video.muted = !video.muted; });
  volume.addEventListener("input", () => { video.volume = Number(volume.value); video.muted = video.volume === 0; });
  nextBtn.addEventListener("click", () => playNext());
  seek.addEventListener("input", () => {
    if (Number.isFinite(video.duration)) video.currentTime = (Number(seek.value) / 1000) * video.duration;
  });
  root.addEventListener("mousemove", wake);
  root.addEventListener("touchstart", wake, { passive: true });
  video.addEventListener("play", () => { playBtn.replaceChildren(icon("pause")); playBtn.setAttribute("aria-label", "Pause (space)"); wake(); msg.hidden = true; });
  video.addEventListener("pause", () => { playBtn.replaceChildren(icon("play")); playBtn.setAttribute("aria-label", "Play (space)"); root.classList.remove("idle"); if (!video.ended) report("paused"); });
  video.addEventListener("volumechange", () => {
    muteBtn.replaceChildren(icon(video.muted ? "mute" : "volume"));
    volume.value = String(video.muted ? 0 : video.volume);
    save("volume", video.volume);
    save("muted", video.muted);
  });
  video.addEventListener("timeupdate", () => {
    const d = video.duration;
    if (live) {
      time.textContent = "● LIVE";
    } else if (Number.isFinite(d) && d > 0) {
      seek.value = String(Math.round((video.currentTime / d) * 1000));
      time.textContent = `${clock(video.currentTime)} / ${clock(d)}`;
    } else {
      time.textContent = clock(video.currentTime);
    }
    if (!video.paused && Date.now() - lastReport >= REPORT_EVERY_MS) report("playing");
  });
  video.addEventListener("ended", () => {
    if (!reportedEnd) { reportedEnd = true; report("stopped"); }
    if (nextEp) startUpNext();
  });
  video.addEventListener("error", () => mediaFailed());
  video.addEventListener("waiting", () => { if (!live) return; showOsd("Buffering…"); });

  const onKey = (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range") return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    // A focused control activates itself on space/Enter; toggling here too would undo it.
    if ((k === " " || k === "Enter") && e.target.closest?.("button, a")) return;
    let handled = true;
    if (k === " " || k === "k" || k === "K") { video.paused ? video.play().catch(() => {}) : video.pause(); showOsd(video.paused ? "Paused" : "Play"); }
    else if (k === "f" || k === "F") toggleFullscreen();
    else if (k === "m" || k === "M") { video.muted = !video.muted; showOsd(video.muted ? "Muted" : "Sound on"); }
    else if (k === "ArrowRight" && !live) { video.currentTime = Math.min((video.duration || Infinity), video.currentTime + 10); showOsd("+10 s"); }
    else if (k === "ArrowLeft" && !live) { video.currentTime = Math.max(0, video.currentTime - 10); showOsd("−10 s"); }
    else if (k === "ArrowUp") { video.muted = false; video.volume = Math.min(1, video.volume + 0.1); showOsd(`Volume ${Math.round(video.volume * 100)}%`); }
    else if (k === "ArrowDown") { video.volume = Math.max(0, video.volume - 0.1); showOsd(`Volume ${Math.round(video.volume * 100)}%`); }
    else if ((k === "n" || k === "N") && nextEp) playNext();
    else if (k === "Escape") { if (!document.fullscreenElement) back(); else handled = false; }
    else handled = false;
    if (handled) { e.preventDefault(); e.stopPropagation(); wake(); }
  };
  document.addEventListener("keydown", onKey, true);
  const onHide = () => { if (document.visibilityState === "hidden") report(video.paused ? "paused" : "playing"); };
  const onPageHide = () => report("stopped");
  document.addEventListener("visibilitychange", onHide);
  window.addEventListener("pagehide", onPageHide);

  function toggleFullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else root.requestFullscreen?.().catch(() => {});
  }

  function mediaFailed(detail) {
    if (destroyed) return;
    const offline = item && isOffline(item.source);
    showMessage("This stream did not play",
      offline ? `${item.source} is offline. Try again when it is back.`
        : detail || "The source may be unreachable, or it sent a format this browser can not play. Try again, or pick another source.",
      [h("button", { class: "btn primary", type: "button", onclick: () => start(video.currentTime * 1000) }, "Try again"),
        h("button", { class: "btn", type: "button", onclick: back }, "Back")]);
  }

  // ----- start -----
  async function start(fromMs) {
    msg.hidden = true;
    hls?.destroy();
    hls = null;
    try {
      info = await api.get(`/items/${id}/play`, live ? { mode: "hls" } : {}).catch(async (err) => {
        if (live && err.status === 400) return api.get(`/items/${id}/play`);
        throw err;
      });
    } catch (err) {
      mediaFailed(err.message);
      return;
    }
    if (destroyed) return;
    live = live || Boolean(info.live);
    root.classList.toggle("live", live);
    seek.hidden = live;
    const isHls = info.mode === "hls" || HLS_TYPES.includes((info.mime || "").toLowerCase()) || /\.m3u8?(\?|$)/i.test(info.url);
    const startAt = (fromMs ?? 0) / 1000;
    if (isHls && !video.canPlayType("application/vnd.apple.mpegurl")) {
      let Hls;
      try {
        ({ default: Hls } = await import("../../vendor/hls.min.mjs"));
      } catch {
        mediaFailed("The HLS player could not be loaded. Run scripts/fetch_frontend.sh on the server.");
        return;
      }
      if (!Hls.isSupported()) { mediaFailed("This browser can not play HLS streams."); return; }
      hls = new Hls({ startPosition: live ? -1 : startAt, xhrSetup: (xhr) => { xhr.withCredentials = true; } });
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else mediaFailed();
      });
      hls.loadSource(info.url);
      hls.attachMedia(video);
    } else {
      video.src = info.url;
      if (startAt > 0) video.addEventListener("loadedmetadata", () => { video.currentTime = startAt; }, { once: true });
    }
    video.play().catch(() => { /* autoplay blocked: the play button is there */ });
  }

  async function loadNext() {
    if (item.type !== "episode" || !item.parent_id) return;
    try {
      let node = await api.get(`/items/${item.parent_id}`);
      if (node.type === "season" && node.parent_id) node = await api.get(`/items/${node.parent_id}`);
      const eps = node.type === "show" ? (node.children || []).flatMap((s) => s.children || []) : node.children || [];
      const i = eps.findIndex((e) => e.id === item.id);
      nextEp = i >= 0 ? eps[i + 1] || null : null;
      if (node.type === "show") t1.textContent = node.title;
      nextBtn.hidden = !nextEp;
      if (nextEp) nextBtn.title = `Next: ${episodeCode(nextEp)} ${nextEp.title}`;
    } catch {
      nextEp = null;
    }
  }

  function startUpNext() {
    let left = 10;
    const cancel = h("button", { class: "btn small", type: "button", onclick: () => { clearInterval(upnextTimer); upnext.hidden = true; } }, "Cancel");
    const go = h("button", { class: "btn small primary", type: "button", onclick: () => playNext() }, icon("play"), "Play now");
    const text = h("div", { class: "grow" }, h("div", { class: "faint" }, "Up next"), h("b", null, `${episodeCode(nextEp)} ${nextEp.title}`), h("div", { class: "faint count" }, `in ${left} s`));
    upnext.replaceChildren(text, h("div", { class: "stack", style: { gap: "6px" } }, go, cancel));
    upnext.hidden = false;
    go.focus();
    upnextTimer = setInterval(() => {
      left -= 1;
      text.querySelector(".count").textContent = `in ${left} s`;
      if (left <= 0) playNext();
    }, 1000);
  }

  function playNext() {
    clearInterval(upnextTimer);
    if (!nextEp) return;
    if (!reportedEnd && !video.ended) report("stopped");
    reportedEnd = true;
    router.navigate(`/play/${nextEp.id}`, { replace: true });
  }

  async function refreshNowNext() {
    try {
      const data = await api.get("/epg/now", { channel: id });
      const ch = (data.channels || [])[0];
      if (!ch || (!ch.now && !ch.next)) { nowbar.hidden = true; t2.textContent = "Live · no guide data"; return; }
      nowbar.hidden = false;
      nowbar.replaceChildren(
        ch.now ? h("span", null, h("b", null, "Now "), `${ch.now.title} · ${timeOfDay(ch.now.start)}–${timeOfDay(ch.now.stop)}`) : null,
        ch.next ? h("span", null, h("b", null, "Next "), `${ch.next.title} · ${timeOfDay(ch.next.start)}`) : null);
      t2.textContent = ch.now ? `Live · ${ch.now.title}` : "Live";
    } catch {
      nowbar.hidden = true;
    }
  }

  try {
    item = await api.get(`/items/${id}`);
  } catch (err) {
    showMessage(err.status === 404 ? "This item is gone" : "Could not open this item", err.message, [h("button", { class: "btn", type: "button", onclick: back }, "Back")]);
    return { destroy: cleanup };
  }
  if (destroyed) return { destroy: cleanup };
  live = item.type === "channel";
  t1.textContent = item.title;
  t2.textContent = item.type === "episode" ? `${episodeCode(item)} · ${item.title}` : live ? "Live" : [item.year, item.source].filter(Boolean).join(" · ");
  shell.setTitle(item.title);
  if (item.type === "episode") loadNext();
  if (live) { refreshNowNext(); nowTimer = setInterval(refreshNowNext, 60000); }
  const resumeAt = query.start !== undefined ? Number(query.start) * 1000 : (!item.played && item.position_ms) || 0;
  await start(live ? 0 : resumeAt);

  function cleanup() {
    if (destroyed) return;
    destroyed = true;
    if (!reportedEnd && video.currentTime > 0) report(video.ended ? "stopped" : "stopped");
    clearTimeout(idleTimer); clearTimeout(osdTimer); clearInterval(nowTimer); clearInterval(upnextTimer);
    document.removeEventListener("keydown", onKey, true);
    document.removeEventListener("visibilitychange", onHide);
    window.removeEventListener("pagehide", onPageHide);
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    hls?.destroy();
    video.removeAttribute("src");
    video.load();
    root.remove();
  }
  return { destroy: cleanup };
}

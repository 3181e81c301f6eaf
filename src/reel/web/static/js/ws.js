// The live-events socket: reconnects with backoff (1 s doubling to 30 s, with jitter),
// answers the server's pings, and tells listeners its state so the UI can show it.

const listeners = new Map(); // event name ("*" for all) -> Set<fn>
const stateListeners = new Set();
let socket = null;
let state = "closed";
let attempt = 0;
let retryTimer = 0;
let wanted = false;
let lastMessageAt = 0;
let watchdog = 0;

function setState(next) {
  if (state === next) return;
  state = next;
  stateListeners.forEach((fn) => fn(state, attempt));
}

export function connectionState() {
  return state;
}

export function onState(fn) {
  stateListeners.add(fn);
  fn(state, attempt);
  return () => stateListeners.delete(fn);
}

export function on(event, fn) {
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(fn);
  return () => listeners.get(event)?.delete(fn);
}

function emit(message) {
  for (const key of [message.event, "*"]) {
    listeners.get(key)?.forEach((fn) => {
      try { fn(message); } catch (err) { console.error("ws listener failed", err); }
    });
  }
}

export function connect() {
  wanted = true;
  if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) return;
  clearTimeout(retryTimer);
  setState(attempt ? "reconnecting" : "connecting");
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}/ws`);
  socket = ws;
  ws.addEventListener("open", () => {
    const reconnected = attempt > 0;
    attempt = 0;
    lastMessageAt = Date.now();
    setState("open");
    if (reconnected) emit({ event: "reconnected" });
  });
  ws.addEventListener("message", (e) => {
    lastMessageAt = Date.now();
    let msg;
    try { msg = JSON.parse(e.data); } catch { return; }
    if (!msg || typeof msg.event !== "string") return;
    if (msg.event === "ping") {
      ws.send(JSON.stringify({ type: "pong" }));
      return;
    }
    emit(msg);
  });
  ws.addEventListener("close", (e) => {
    if (socket !== ws) return;
    socket = null;
    if (e.code === 4401) {
      wanted = false;
      setState("closed");
      emit({ event: "unauthorized" });
      return;
    }
    if (wanted) scheduleRetry();
    else setState("closed");
  });
  ws.addEventListener("error", () => { /* close follows and schedules the retry */ });
  clearInterval(watchdog);
  // A socket that went silent for more than two server pings is dead even if TCP says not.
  watchdog = setInterval(() => {
    if (socket && socket.readyState === WebSocket.OPEN && Date.now() - lastMessageAt > 50000) socket.close();
  }, 10000);
}

function scheduleRetry() {
  attempt += 1;
  const base = Math.min(30000, 1000 * 2 ** (attempt - 1));
  const delay = base * (0.75 + Math.random() * 0.5);
  setState(navigator.onLine === false ? "offline" : "reconnecting");
  retryTimer = setTimeout(connect, delay);
}

export function disconnect() {
  wanted = false;
  clearTimeout(retryTimer);
  clearInterval(watchdog);
  attempt = 0;
  if (socket) {
    const s = socket;
    socket = null;
    s.close(1000);
  }
  setState("closed");
}

// The browser knows first when the network is gone: say so at once rather than after
// the next missed ping, and retry as soon as it is back.
window.addEventListener("offline", () => {
  if (!wanted) return;
  const s = socket;
  socket = null;
  s?.close();
  clearTimeout(retryTimer);
  attempt = Math.max(attempt, 1);
  setState("offline");
  retryTimer = setTimeout(connect, 30000);
});

window.addEventListener("online", () => {
  if (wanted && state !== "open") {
    attempt = 0;
    connect();
  }
});

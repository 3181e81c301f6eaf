// Who is signed in, and what the UI knows about sources (status for "offline" marks).
import { api } from "./api.js";
import * as ws from "./ws.js";

export const session = { user: null };
const sourceStatus = new Map(); // source name -> status
const sourceListeners = new Set();
let sourcesLoaded = null;

export function isAdmin() {
  return Boolean(session.user && session.user.is_admin);
}

export function statusOf(sourceName) {
  return sourceStatus.get(sourceName) || null;
}

export function isOffline(sourceName) {
  const status = sourceStatus.get(sourceName);
  return status === "offline" || status === "unreachable" || status === "error";
}

export function onSourcesChanged(fn) {
  sourceListeners.add(fn);
  return () => sourceListeners.delete(fn);
}

export async function loadSources(force = false) {
  if (!sourcesLoaded || force) {
    sourcesLoaded = api.get("/sources").then((list) => {
      sourceStatus.clear();
      for (const s of list || []) sourceStatus.set(s.name, s.status);
      sourceListeners.forEach((fn) => fn());
      return list || [];
    }).catch((err) => {
      sourcesLoaded = null;
      throw err;
    });
  }
  return sourcesLoaded;
}

ws.on("source.status", (msg) => {
  sourceStatus.set(msg.source, msg.status);
  sourcesLoaded = null;
  sourceListeners.forEach((fn) => fn(msg));
});

export function resetSession() {
  session.user = null;
  sourceStatus.clear();
  sourcesLoaded = null;
}

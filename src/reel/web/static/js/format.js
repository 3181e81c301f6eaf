// Human-readable times, durations and counts.

export function duration(ms) {
  if (!ms || ms < 0) return "";
  const totalMin = Math.round(ms / 60000);
  const hours = Math.floor(totalMin / 60);
  const min = totalMin % 60;
  if (hours && min) return `${hours} h ${min} min`;
  if (hours) return `${hours} h`;
  return `${Math.max(min, 1)} min`;
}

export function clock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) seconds = 0;
  const s = Math.floor(seconds % 60);
  const m = Math.floor(seconds / 60) % 60;
  const hr = Math.floor(seconds / 3600);
  const pad = (n) => String(n).padStart(2, "0");
  return hr ? `${hr}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

export function timeOfDay(iso) {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export function relative(iso) {
  if (!iso) return "never";
  const d = new Date(iso);
  const diff = (Date.now() - d.getTime()) / 1000;
  if (Number.isNaN(diff)) return "";
  const abs = Math.abs(diff);
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60) return fmt.format(-Math.round(diff), "second");
  if (abs < 3600) return fmt.format(-Math.round(diff / 60), "minute");
  if (abs < 86400) return fmt.format(-Math.round(diff / 3600), "hour");
  return fmt.format(-Math.round(diff / 86400), "day");
}

export function count(n) {
  return new Intl.NumberFormat().format(n ?? 0);
}

export function plural(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}

export const TYPE_LABELS = {
  movie: "Movies", show: "Shows", season: "Seasons", episode: "Episodes", channel: "Channels",
};

export function episodeCode(item) {
  if (item.season == null && item.episode == null) return "";
  const s = item.season != null ? `S${String(item.season).padStart(2, "0")}` : "";
  const e = item.episode != null ? `E${String(item.episode).padStart(2, "0")}` : "";
  return s + e;
}

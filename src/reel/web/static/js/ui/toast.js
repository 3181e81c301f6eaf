// Short notices in the corner; errors stay longer.
import { h } from "../dom.js";

export function toast(message, kind = "info", ms) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(el);
  setTimeout(() => el.remove(), ms ?? (kind === "error" ? 7000 : 3500));
}

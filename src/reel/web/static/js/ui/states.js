// Empty, loading and error states. Each one says what to do next.
import { h, icon } from "../dom.js";

export function emptyState({ title, message, iconName = "film", actions = [] }) {
  return h("div", { class: "state", role: "status" },
    h("div", { class: "state-icon" }, icon(iconName)),
    h("h2", null, title),
    message ? h("p", null, message) : null,
    actions.length ? h("div", { class: "row wrap" }, actions) : null,
  );
}

export function errorState(error, { retry, title = "Something went wrong" } = {}) {
  const offline = error && (error.status === 0);
  return h("div", { class: "state error", role: "alert" },
    h("div", { class: "state-icon" }, icon(offline ? "cloudOff" : "alert")),
    h("h2", null, offline ? "Can not reach Reel" : title),
    h("p", null, (error && error.message) || String(error)),
    retry ? h("div", { class: "row" }, h("button", { class: "btn primary", type: "button", onclick: retry }, icon("refresh"), "Try again")) : null,
  );
}

export function loading(label = "Loading…") {
  return h("div", { class: "boot", style: { minHeight: "40vh" }, role: "status" }, h("div", { class: "spinner", "aria-hidden": "true" }), h("span", null, label));
}

export function linkButton(label, href, primary = true) {
  return h("a", { class: `btn ${primary ? "primary" : ""}`, href }, label);
}

// Dialogs on the native <dialog>: focus trap, Escape and backdrop handling come free.
import { h, icon } from "../dom.js";

export function modal({ title, body, actions = [], onClose, wide = false }) {
  const closeBtn = h("button", { class: "btn ghost icon", type: "button", "aria-label": "Close" }, icon("x"));
  const dialog = h("dialog", { class: "modal", "aria-label": title, style: wide ? { width: "min(860px, calc(100vw - 24px))" } : null },
    h("div", { class: "modal-head" }, h("h2", { class: "grow" }, title), closeBtn),
    h("div", { class: "modal-body" }, body),
    actions.length ? h("div", { class: "modal-foot" }, actions) : null,
  );
  const close = () => {
    if (!dialog.open) return;
    dialog.close();
  };
  closeBtn.addEventListener("click", close);
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
  });
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) close();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, close };
}

export function confirmDialog({ title, message, confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const ok = h("button", { class: `btn ${danger ? "danger" : "primary"}`, type: "button" }, confirm);
    const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
    const m = modal({ title, body: h("p", { class: "muted" }, message), actions: [cancel, ok], onClose: () => resolve(answer) });
    ok.addEventListener("click", () => { answer = true; m.close(); });
    cancel.addEventListener("click", () => m.close());
    cancel.focus();
  });
}

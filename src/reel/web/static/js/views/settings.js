// Settings: your password and API tokens; server settings for admins.
import { api } from "../api.js";
import { h, icon, replace, field } from "../dom.js";
import { relative } from "../format.js";
import { isAdmin, session } from "../session.js";
import { confirmDialog, modal } from "../ui/modal.js";
import { errorState } from "../ui/states.js";
import { toast } from "../ui/toast.js";


export default async function settings({ el, shell }) {
  shell.setTitle("Settings");
  replace(el, h("div", { class: "page-head" }, h("div", null, h("h1", null, "Settings"), h("p", { class: "sub" }, `Signed in as ${session.user.username}${isAdmin() ? " (admin)" : ""}.`))));
  el.append(passwordPanel(), await tokensPanel());
  if (isAdmin()) el.append(await serverPanel());
  return {};
}

function passwordPanel() {
  const current = h("input", { class: "input", type: "password", autocomplete: "current-password", name: "current_password" });
  const next = h("input", { class: "input", type: "password", autocomplete: "new-password", name: "new_password", minlength: "8" });
  const again = h("input", { class: "input", type: "password", autocomplete: "new-password", name: "again" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn primary", type: "submit" }, "Change password");
  const form = h("form", { class: "stack", style: { maxWidth: "420px" } }, field("Current password", current), field("New password", next, "At least 8 characters."), field("Repeat new password", again), error, h("div", null, submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (next.value.length < 8) { error.textContent = "The new password needs at least 8 characters."; return; }
    if (next.value !== again.value) { error.textContent = "The two new passwords differ."; return; }
    submit.disabled = true;
    try {
      await api.post("/auth/password", { current_password: current.value, new_password: next.value });
      form.reset();
      toast("Password changed.", "ok");
    } catch (err) {
      error.textContent = err.status === 401 || err.status === 403 ? "The current password is wrong." : err.message;
    } finally { submit.disabled = false; }
  });
  return h("section", { class: "panel", "aria-label": "Password" }, h("div", { class: "panel-head" }, h("h2", null, "Password")), form);
}

async function tokensPanel() {
  const box = h("div", { class: "table-wrap" });
  const name = h("input", { class: "input", placeholder: "e.g. my script", name: "token_name", style: { maxWidth: "260px" } });
  const create = h("button", { class: "btn", type: "button" }, icon("plus"), "Create token");
  async function load() {
    try {
      const tokens = await api.get("/tokens");
      replace(box, tokens.length ? h("table", { class: "table" },
        h("thead", null, h("tr", null, ["Name", "Created", "Last used", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, tokens.map((t) => h("tr", null, h("td", null, t.name), h("td", null, relative(t.created_at)), h("td", null, t.last_used_at ? relative(t.last_used_at) : "never"),
          h("td", { style: { textAlign: "right" } }, h("button", { class: "btn small danger", type: "button", onclick: async () => {
            if (!(await confirmDialog({ title: `Revoke “${t.name}”?`, message: "Scripts using it stop working at once.", confirm: "Revoke", danger: true }))) return;
            try { await api.del(`/tokens/${t.id}`); load(); } catch (err) { toast(err.message, "error"); }
          } }, "Revoke"))))))
        : h("p", { class: "muted" }, "No tokens. Create one for scripts that call Reel's API (send it as “Authorization: Bearer …”)."));
    } catch (err) { replace(box, errorState(err, { retry: load })); }
  }
  create.addEventListener("click", async () => {
    if (!name.value.trim()) { toast("Name the token first, so you know later what uses it.", "warn"); name.focus(); return; }
    try {
      const t = await api.post("/tokens", { name: name.value.trim() });
      name.value = "";
      const code = h("input", { class: "input", readonly: true, value: t.token, "aria-label": "New token", style: { fontFamily: "ui-monospace, monospace" } });
      const copy = h("button", { class: "btn", type: "button", onclick: () => navigator.clipboard?.writeText(t.token).then(() => toast("Copied.", "ok"), () => code.select()) }, "Copy");
      modal({ title: "Your new token", body: [h("p", { class: "muted" }, "Copy it now: Reel shows it only once."), h("div", { class: "row" }, code, copy)] });
      code.select();
      load();
    } catch (err) { toast(err.message, "error"); }
  });
  await load();
  return h("section", { class: "panel", "aria-label": "API tokens" }, h("div", { class: "panel-head" }, h("h2", { class: "grow" }, "API tokens"), name, create), box);
}

async function serverPanel() {
  const panel = h("section", { class: "panel", "aria-label": "Server" }, h("div", { class: "panel-head" }, h("h2", null, "Server")));
  let s;
  try { s = await api.get("/settings"); } catch (err) { panel.append(errorState(err)); return panel; }
  const cache = h("input", { class: "input", type: "number", min: "16", step: "16", value: String(s.image_cache_mb ?? 512), name: "image_cache_mb" });
  const mode = h("select", { class: "input", name: "stream_mode" },
    [["proxy", "Through Reel (hides source credentials, works offline-first)"], ["redirect", "Straight from the source where possible"]]
      .map(([v, t]) => h("option", { value: v, selected: s.stream_mode === v }, t)));
  const save = h("button", { class: "btn primary", type: "button" }, "Save");
  save.addEventListener("click", async () => {
    save.disabled = true;
    try { await api.put("/settings", { image_cache_mb: Number(cache.value), stream_mode: mode.value }); toast("Settings saved.", "ok"); } catch (err) { toast(err.message, "error"); } finally { save.disabled = false; }
  });
  panel.append(h("div", { class: "form-grid" }, field("Artwork cache size (MB)", cache, "Older artwork is evicted past this size."), field("Streams", mode)), h("div", { style: { marginTop: "14px" } }, save));
  return panel;
}

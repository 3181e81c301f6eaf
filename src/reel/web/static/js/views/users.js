// Users (admin): add, make admin, set a password, remove.
import { api } from "../api.js";
import { field, h, icon, replace } from "../dom.js";
import { relative } from "../format.js";
import { isAdmin, session } from "../session.js";
import { confirmDialog, modal } from "../ui/modal.js";
import { emptyState, errorState, linkButton } from "../ui/states.js";
import { toast } from "../ui/toast.js";

export default async function users({ el, shell }) {
  shell.setTitle("Users");
  if (!isAdmin()) {
    replace(el, emptyState({ title: "Admins only", iconName: "users", message: "Only an admin can manage accounts. Ask one to add people or reset a password.", actions: [linkButton("Go home", "#/")] }));
    return {};
  }
  const box = h("div", { class: "table-wrap" });
  const add = h("button", { class: "btn primary", type: "button", id: "add-user" }, icon("plus"), "Add user");
  replace(el, h("div", { class: "page-head" }, h("div", { class: "grow" }, h("h1", null, "Users"), h("p", { class: "sub" }, "Everyone keeps their own watch state. Admins manage sources and users.")), add),
    h("section", { class: "panel" }, box));

  async function load() {
    try {
      const list = await api.get("/users");
      replace(box, h("table", { class: "table" },
        h("thead", null, h("tr", null, ["User", "Role", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", null, list.map((u) => h("tr", { dataset: { user: u.username } },
          h("td", null, h("b", null, u.username), u.id === session.user.id ? h("span", { class: "faint" }, " (you)") : null),
          h("td", null, h("span", { class: `badge ${u.is_admin ? "info" : ""}` }, u.is_admin ? "admin" : "user")),
          h("td", null, relative(u.created_at)),
          h("td", { style: { textAlign: "right", whiteSpace: "nowrap" } },
            u.id !== session.user.id ? h("button", { class: "btn small", type: "button", onclick: () => patch(u, { is_admin: !u.is_admin }) }, u.is_admin ? "Make user" : "Make admin") : null, " ",
            h("button", { class: "btn small", type: "button", onclick: () => setPassword(u) }, "Set password"), " ",
            u.id !== session.user.id ? h("button", { class: "btn small danger", type: "button", onclick: () => remove(u) }, "Remove") : null))))));
    } catch (err) { replace(box, errorState(err, { retry: load })); }
  }
  async function patch(u, body) {
    try { await api.patch(`/users/${u.id}`, body); toast(`Updated ${u.username}.`, "ok"); load(); } catch (err) { toast(err.message, "error"); }
  }
  async function remove(u) {
    if (!(await confirmDialog({ title: `Remove ${u.username}?`, message: "Their account, sessions, tokens and watch state are deleted.", confirm: "Remove", danger: true }))) return;
    try { await api.del(`/users/${u.id}`); toast(`Removed ${u.username}.`, "ok"); load(); } catch (err) { toast(err.message, "error"); }
  }
  function setPassword(u) {
    const pw = h("input", { class: "input", type: "password", autocomplete: "new-password", minlength: "8" });
    const error = h("p", { class: "form-error", role: "alert" });
    const ok = h("button", { class: "btn primary", type: "button" }, "Set password");
    const m = modal({ title: `New password for ${u.username}`, body: [field("Password", pw, "At least 8 characters. Tell them to change it under Settings."), error], actions: [ok] });
    pw.focus();
    ok.addEventListener("click", async () => {
      if (pw.value.length < 8) { error.textContent = "At least 8 characters."; return; }
      try { await api.patch(`/users/${u.id}`, { password: pw.value }); toast("Password set.", "ok"); m.close(); } catch (err) { error.textContent = err.message; }
    });
  }
  add.addEventListener("click", () => {
    const name = h("input", { class: "input", name: "username", autocomplete: "off", maxlength: "64" });
    const pw = h("input", { class: "input", type: "password", name: "password", autocomplete: "new-password" });
    const admin = h("input", { type: "checkbox", name: "is_admin" });
    const error = h("p", { class: "form-error", role: "alert" });
    const ok = h("button", { class: "btn primary", type: "button" }, "Add user");
    const m = modal({
      title: "Add a user",
      body: [field("Username", name), field("Password", pw, "At least 8 characters."),
        h("label", { class: "check" }, admin, "Admin (can manage sources and users)"), error],
      actions: [ok],
    });
    name.focus();
    ok.addEventListener("click", async () => {
      error.textContent = "";
      if (!name.value.trim()) { error.textContent = "Choose a username."; return; }
      if (pw.value.length < 8) { error.textContent = "The password needs at least 8 characters."; return; }
      try {
        await api.post("/users", { username: name.value.trim(), password: pw.value, is_admin: admin.checked });
        toast(`Added ${name.value.trim()}.`, "ok");
        m.close();
        load();
      } catch (err) { error.textContent = err.status === 409 ? "That username is taken." : err.message; }
    });
  });
  await load();
  return {};
}

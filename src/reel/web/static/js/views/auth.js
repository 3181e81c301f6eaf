// First-run admin creation and sign-in: full-screen cards outside the app shell.
import { api } from "../api.js";
import { h, logo, replace, field } from "../dom.js";


function authCard(title, lead, form) {
  return h("div", { class: "auth" },
    h("main", { class: "auth-card", id: "main" },
      h("div", { class: "brand" }, logo(), "Reel"),
      h("h1", null, title),
      lead ? h("p", { class: "lead" }, lead) : null,
      form,
    ));
}

function busy(button, on, label) {
  button.disabled = on;
  if (on) { button.dataset.label = button.textContent; button.textContent = label; }
  else if (button.dataset.label) button.textContent = button.dataset.label;
}

export function renderSetup(root, { onDone }) {
  document.title = "Welcome · Reel";
  const username = h("input", { class: "input", name: "username", autocomplete: "username", required: true, maxlength: "64", value: "admin" });
  const password = h("input", { class: "input", name: "password", type: "password", autocomplete: "new-password", required: true, minlength: "8" });
  const confirm = h("input", { class: "input", name: "confirm", type: "password", autocomplete: "new-password", required: true, minlength: "8" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn primary large", type: "submit" }, "Create admin account");
  const form = h("form", { class: "stack", novalidate: true },
    field("Username", username),
    field("Password", password, "At least 8 characters."),
    field("Repeat password", confirm),
    error, submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const name = username.value.trim();
    if (!name) { error.textContent = "Choose a username."; username.focus(); return; }
    if (password.value.length < 8) { error.textContent = "The password needs at least 8 characters."; password.focus(); return; }
    if (password.value !== confirm.value) { error.textContent = "The two passwords differ. Type them again."; confirm.focus(); return; }
    busy(submit, true, "Creating…");
    try {
      const answer = await api.post("/setup", { username: name, password: password.value });
      onDone(answer);
    } catch (err) {
      busy(submit, false);
      error.textContent = err.status === 409 ? "Reel is already set up. Reload the page to sign in." : err.message;
    }
  });
  replace(root, authCard("Welcome to Reel", "Create the admin account. The admin adds sources (Plex, Jellyfin, IPTV) and other people's accounts.", form));
  password.focus();
}

export function renderLogin(root, { onDone, message }) {
  document.title = "Sign in · Reel";
  const username = h("input", { class: "input", name: "username", autocomplete: "username", required: true });
  const password = h("input", { class: "input", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn primary large", type: "submit" }, "Sign in");
  const form = h("form", { class: "stack", novalidate: true },
    field("Username", username), field("Password", password), error, submit,
    h("p", { class: "faint", style: { fontSize: ".85rem" } }, "Forgot your password? An admin can set a new one under Users, or run `reel user add` on the server."));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    if (!username.value.trim() || !password.value) { error.textContent = "Enter your username and password."; return; }
    busy(submit, true, "Signing in…");
    try {
      const answer = await api.post("/auth/login", { username: username.value.trim(), password: password.value });
      onDone(answer);
    } catch (err) {
      busy(submit, false);
      error.textContent = err.status === 401 ? "Wrong username or password. Check them and try again." : err.message;
      password.select();
    }
  });
  replace(root, authCard("Sign in", message || "Sign in to browse and play your media.", form));
  username.focus();
}

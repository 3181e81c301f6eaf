// The add-source dialog: one form per kind, and Plex's PIN sign-in.
import { api } from "../api.js";
import { field, h, replace } from "../dom.js";
import { modal } from "../ui/modal.js";
import { toast } from "../ui/toast.js";

export const KINDS = {
  xtream: { label: "Xtream Codes", short: "XC", hint: "An IPTV panel: live channels, films and series." },
  m3u: { label: "M3U playlist", short: "M3U", hint: "A playlist URL (or a file on the server), with an optional XMLTV guide." },
  jellyfin: { label: "Jellyfin", short: "JF", hint: "A Jellyfin server you have an account on." },
  plex: { label: "Plex", short: "PLEX", hint: "Sign in with your Plex account, or give a server URL and token." },
  local: { label: "Local folders", short: "DIR", hint: "Folders on the server with films or shows." },
};

export function kindIcon(kind, cls = "kind-icon") {
  return h("div", { class: `${cls} kind-${kind}`, "aria-hidden": "true" }, KINDS[kind]?.short || kind.slice(0, 3).toUpperCase());
}

function input(name, label, { type = "text", placeholder, hint, required = true, value, autocomplete = "off" } = {}) {
  const el = h("input", { class: "input", name, type, placeholder, required, value, autocomplete, spellcheck: "false" });
  return { name, el, label, node: field(label, el, hint) };
}

const FIELDS = {
  xtream: () => [
    input("url", "Server URL", { type: "url", placeholder: "http://panel.example.com:8080", hint: "The address your IPTV provider gave you, without /player_api.php." }),
    input("username", "Username", { autocomplete: "username" }),
    input("password", "Password", { type: "password", autocomplete: "new-password" }),
  ],
  m3u: () => [
    input("url", "Playlist URL or path", { placeholder: "https://example.com/playlist.m3u", hint: "A URL, or a path to a file on the server." }),
    input("epg", "Guide (XMLTV) URL or path", { required: false, placeholder: "https://example.com/epg.xml", hint: "Optional. Without it channels show no now/next." }),
  ],
  jellyfin: () => [
    input("url", "Server URL", { type: "url", placeholder: "http://jellyfin.local:8096" }),
    input("username", "Username", { autocomplete: "username" }),
    input("password", "Password", { type: "password", autocomplete: "new-password", required: false }),
  ],
  plex: () => [
    input("url", "Server URL", { type: "url", placeholder: "http://plex.local:32400" }),
    input("token", "Plex token", { type: "password", hint: "Or use “Sign in with Plex” above and pick a server." }),
  ],
  local: () => [
    input("paths", "Folders", { placeholder: "/media/films, /media/more-films", hint: "One or more folders on the server, separated by commas." }),
  ],
};

const SECRET_KEYS = new Set(["username", "password", "token"]);

function payload(kind, name, fields, localKind) {
  const settings = {};
  const secrets = {};
  for (const f of fields) {
    const v = f.el.value.trim();
    if (!v && !f.el.required) continue;
    if (kind === "local" && f.name === "paths") settings.paths = v.split(",").map((s) => s.trim()).filter(Boolean);
    else if (SECRET_KEYS.has(f.name)) secrets[f.name] = f.name === "password" ? f.el.value : v;
    else settings[f.name] = v;
  }
  if (kind === "local") settings.kind = localKind;
  return { kind, name, settings, secrets };
}

export function addSourceDialog({ onAdded, existing = [] }) {
  let kind = "xtream";
  let fields = [];
  let pinTimer = 0;
  const nameInput = h("input", { class: "input", name: "name", required: true, maxlength: "64", placeholder: "My IPTV", autocomplete: "off" });
  const interval = h("select", { class: "input", name: "sync_interval" },
    [["0", "Only when I ask"], ["3600", "Every hour"], ["21600", "Every 6 hours"], ["43200", "Every 12 hours"], ["86400", "Every day"], ["604800", "Every week"]]
      .map(([v, t]) => h("option", { value: v, selected: v === "86400" }, t)));
  const syncNow = h("input", { type: "checkbox", name: "sync_now", checked: true });
  const localKind = h("select", { class: "input", name: "local_kind" }, [["mixed", "Films and shows"], ["movies", "Films"], ["shows", "Shows"]].map(([v, t]) => h("option", { value: v }, t)));
  const fieldBox = h("div", { class: "stack" });
  const plexBox = h("div");
  const error = h("p", { class: "form-error", role: "alert" });
  const hint = h("p", { class: "muted" });
  const picker = h("div", { class: "kind-picker", role: "radiogroup", "aria-label": "Kind of source" });
  for (const [k, meta] of Object.entries(KINDS)) {
    picker.append(h("button", { type: "button", role: "radio", dataset: { kind: k }, "aria-checked": String(k === kind), "aria-pressed": String(k === kind), onclick: () => pick(k) }, kindIcon(k), meta.label));
  }
  const submit = h("button", { class: "btn primary", type: "submit", form: "add-source-form" }, "Test and add");
  const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
  const form = h("form", { id: "add-source-form", class: "stack", novalidate: true },
    picker, hint, plexBox,
    field("Name", nameInput, "How this source is called in Reel."),
    fieldBox,
    h("div", { class: "form-grid" },
      field("Sync automatically", interval),
      h("label", { class: "check", style: { alignSelf: "end", minHeight: "40px" } }, syncNow, "Sync as soon as it is added")),
    error);

  function pick(k) {
    kind = k;
    clearInterval(pinTimer);
    for (const b of picker.children) { const on = b.dataset.kind === k; b.setAttribute("aria-pressed", String(on)); b.setAttribute("aria-checked", String(on)); }
    hint.textContent = KINDS[k].hint;
    fields = FIELDS[k]();
    replace(fieldBox, fields.map((f) => f.node), k === "local" ? field("Contents", localKind) : null);
    replace(plexBox, k === "plex" ? plexPin() : null);
    error.textContent = "";
    if (!nameInput.value || Object.values(KINDS).some((m) => nameInput.value.startsWith(m.label))) nameInput.value = uniqueName(KINDS[k].label);
  }

  function uniqueName(base) {
    const taken = new Set(existing.map((s) => s.name));
    if (!taken.has(base)) return base;
    for (let i = 2; ; i++) if (!taken.has(`${base} ${i}`)) return `${base} ${i}`;
  }

  function plexPin() {
    const box = h("div", { class: "pin-box stack", style: { alignItems: "center" } },
      h("p", null, "Sign in with your Plex account, then pick one of your servers."));
    const go = h("button", { class: "btn primary", type: "button" }, "Sign in with Plex");
    box.append(go, h("p", { class: "faint" }, "Or fill in the server URL and a token below."));
    go.addEventListener("click", async () => {
      go.disabled = true;
      try {
        const pin = await api.post("/plex/pin");
        const link = h("a", { class: "btn", href: pin.auth_url, target: "_blank", rel: "noopener" }, "Open plex.tv/link");
        const status = h("p", { class: "muted", role: "status" }, "Waiting for you to approve…");
        replace(box, h("p", null, "Enter this code at plex.tv/link:"), h("div", { class: "pin-code", id: "plex-pin" }, pin.code), link, status);
        const deadline = Date.now() + (pin.expires_in || 900) * 1000;
        pinTimer = setInterval(async () => {
          if (Date.now() > deadline) { clearInterval(pinTimer); status.textContent = "The code expired. Close this and start again."; return; }
          try {
            const answer = await api.get(`/plex/pin/${encodeURIComponent(pin.pin_id)}`);
            if (answer.status !== "approved") return;
            clearInterval(pinTimer);
            const servers = answer.servers || [];
            if (!servers.length) { status.textContent = "Signed in, but this Plex account has no servers. Add one by URL and token instead."; return; }
            replace(box, h("p", null, "Signed in. Pick a server:"), h("div", { class: "stack", style: { width: "100%" } }, servers.map((s) => {
              const b = h("button", { class: "btn", type: "button" }, s.name, s.owned ? "" : ` (shared by ${s.owner || "a friend"})`);
              b.addEventListener("click", async () => {
                b.disabled = true;
                try {
                  const src = await api.post(`/plex/pin/${encodeURIComponent(pin.pin_id)}/add`, { machine_identifier: s.machine_identifier, name: nameInput.value.trim() || s.name });
                  await afterAdd(src);
                } catch (err) { b.disabled = false; error.textContent = err.message; }
              });
              return b;
            })));
          } catch (err) {
            clearInterval(pinTimer);
            status.textContent = `${err.message} Close this and start again.`;
          }
        }, 2000);
      } catch (err) {
        go.disabled = false;
        error.textContent = err.message;
      }
    });
    return box;
  }

  async function afterAdd(src) {
    const seconds = Number(interval.value);
    try {
      await api.patch(`/sources/${src.id}`, { auto_sync: seconds > 0, ...(seconds > 0 ? { sync_interval_s: seconds } : {}) });
    } catch (err) {
      toast(`Added, but the sync interval was not saved: ${err.message}`, "warn");
    }
    let synced = false;
    if (syncNow.checked) {
      try { await api.post("/sync", { sources: [src.name], full: false }); synced = true; } catch (err) { toast(`Added, but the sync did not start: ${err.message}`, "warn"); }
    }
    toast(`Added ${src.name}.${synced ? " Syncing now." : ""}`, "ok");
    dlg.close();
    onAdded?.(src);
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const name = nameInput.value.trim();
    if (!name) { error.textContent = "Give the source a name."; nameInput.focus(); return; }
    for (const f of fields) {
      f.el.setAttribute("aria-invalid", "false");
      if (f.el.required && !f.el.value.trim()) { f.el.setAttribute("aria-invalid", "true"); error.textContent = `Fill in “${f.label}”.`; f.el.focus(); return; }
    }
    submit.disabled = true;
    submit.textContent = "Testing…";
    try {
      const src = await api.post("/sources", payload(kind, name, fields, localKind.value));
      await afterAdd(src);
    } catch (err) {
      error.textContent = err.status === 409 ? `A source called “${name}” exists already. Pick another name.` : err.message;
    } finally {
      submit.disabled = false;
      submit.textContent = "Test and add";
    }
  });

  const dlg = modal({ title: "Add a source", body: form, actions: [cancel, submit], onClose: () => clearInterval(pinTimer), wide: true });
  cancel.addEventListener("click", () => dlg.close());
  pick(kind);
  nameInput.focus();
  nameInput.select();
  return dlg;
}

// Settings shown (never edited) in the edit dialog, and the ones a form field edits.
const EDITABLE = { url: true, epg: true, paths: true };

function editFields(source) {
  const settings = source.settings || {};
  const secrets = source.secrets || {};
  const make = FIELDS[source.kind];
  if (!make) return [];
  return make().map((f) => {
    f.el.required = false;
    if (f.name === "paths") f.el.value = (settings.paths || []).join(", ");
    else if (settings[f.name] != null) f.el.value = String(settings[f.name]);
    else if (f.name in secrets) {
      // Secrets never come back from the server: say whether one is stored.
      f.el.value = "";
      f.el.placeholder = secrets[f.name] === "set" ? "Stored — leave empty to keep" : "Not set";
      if (f.name === "url" || f.name === "epg") f.el.placeholder = settings[`${f.name}_display`] || f.el.placeholder;
    }
    f.initial = f.el.value;
    return f;
  });
}

export function editSourceDialog(source, { onSaved }) {
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: source.enabled !== false });
  const secs = Number(source.sync_interval_s || 0);
  const options = [["0", "Only when I ask"], ["3600", "Every hour"], ["21600", "Every 6 hours"], ["43200", "Every 12 hours"], ["86400", "Every day"], ["604800", "Every week"]];
  if (secs && !options.some(([v]) => Number(v) === secs)) options.push([String(secs), `Every ${Math.round(secs / 60)} min`]);
  const interval = h("select", { class: "input", name: "sync_interval" },
    options.map(([v, t]) => h("option", { value: v, selected: source.auto_sync ? Number(v) === secs : v === "0" }, t)));
  const error = h("p", { class: "form-error", role: "alert" });
  const nameInput = h("input", { class: "input", name: "name", required: true, maxlength: "200", value: source.name, autocomplete: "off" });
  const fields = editFields(source);
  const shown = Object.entries(source.settings || {}).filter(([k, v]) => !EDITABLE[k] && !k.endsWith("_display") && v !== null && typeof v !== "object");
  const facts = shown.length
    ? h("dl", { class: "kv" }, shown.map(([k, v]) => [h("dt", null, k.replace(/_/g, " ")), h("dd", { style: { wordBreak: "break-all" } }, String(v))]))
    : null;
  const save = h("button", { class: "btn primary", type: "submit", form: "edit-source-form" }, "Save");
  const cancel = h("button", { class: "btn", type: "button" }, "Cancel");
  const form = h("form", { id: "edit-source-form", class: "stack", novalidate: true },
    h("div", { class: "row" }, kindIcon(source.kind), h("div", null, h("b", null, source.name), h("div", { class: "faint" }, KINDS[source.kind]?.label || source.kind))),
    field("Name", nameInput),
    fields.map((f) => f.node),
    fields.length ? h("p", { class: "faint" }, "Changing the address or the credentials signs in again before anything is saved.") : null,
    facts,
    h("label", { class: "check" }, enabled, "Enabled (a disabled source is not synced; its items stay)"),
    field("Sync automatically", interval),
    error);
  const dlg = modal({ title: `Edit ${source.name}`, body: form, actions: [cancel, save], wide: true });
  cancel.addEventListener("click", () => dlg.close());
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const s = Number(interval.value);
    const body = { enabled: enabled.checked, auto_sync: s > 0, ...(s > 0 ? { sync_interval_s: s } : {}) };
    const name = nameInput.value.trim();
    if (!name) { error.textContent = "Give the source a name."; nameInput.focus(); return; }
    if (name !== source.name) body.name = name;
    const settings = {};
    const secrets = {};
    for (const f of fields) {
      const v = f.name === "password" ? f.el.value : f.el.value.trim();
      if (v === f.initial || (!v && (source.secrets || {})[f.name] !== undefined)) continue;
      if (f.name === "paths") settings.paths = v.split(",").map((x) => x.trim()).filter(Boolean);
      else if (SECRET_KEYS.has(f.name)) secrets[f.name] = v;
      else settings[f.name] = v || null;
    }
    if (Object.keys(settings).length) body.settings = settings;
    if (Object.keys(secrets).length) body.secrets = secrets;
    save.disabled = true;
    save.textContent = body.settings || body.secrets ? "Signing in…" : "Saving…";
    try {
      const updated = await api.patch(`/sources/${source.id}`, body);
      toast(`Saved ${updated.name}.`, "ok");
      dlg.close();
      onSaved?.(updated);
    } catch (err) {
      error.textContent = err.status === 409 && body.name ? `A source called “${name}” exists already, or it is syncing. ${err.message}` : err.message;
    } finally {
      save.disabled = false;
      save.textContent = "Save";
    }
  });
  nameInput.focus();
  return dlg;
}

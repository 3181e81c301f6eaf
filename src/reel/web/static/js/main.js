// Boot: first-run set-up or sign-in, then the app shell, the router and the live socket.
import { api, onUnauthorized, setCsrf } from "./api.js";
import { h, replace } from "./dom.js";
import * as router from "./router.js";
import { session, resetSession, loadSources } from "./session.js";
import * as ws from "./ws.js";
import { renderSetup, renderLogin } from "./views/auth.js";
import { Shell } from "./shell.js";
import { errorState } from "./ui/states.js";

const app = document.getElementById("app");
let shell = null;

async function boot() {
  try {
    const setup = await api.get("/setup");
    if (setup && setup.needs_setup) {
      showSetup();
      return;
    }
    const me = await api.get("/auth/me").catch((err) => {
      if (err.status === 401) return null;
      throw err;
    });
    if (!me || !me.user) {
      showLogin();
      return;
    }
    signedIn(me);
  } catch (err) {
    replace(app, h("div", { class: "auth" }, h("div", { class: "auth-card" }, errorState(err, { retry: boot }))));
  }
}

function showSetup() {
  teardown();
  renderSetup(app, { onDone: signedIn });
}

function showLogin(message) {
  teardown();
  renderLogin(app, { onDone: signedIn, message });
}

function signedIn(answer) {
  session.user = answer.user;
  setCsrf(answer.csrf_token);
  if (location.hash === "" || location.hash === "#/login" || location.hash === "#/setup") {
    history.replaceState(null, "", "#/");
  }
  shell = new Shell(app, { onLogout: logout });
  shell.mount();
  ws.connect();
  loadSources().catch(() => {});
  router.start((r) => shell.show(r));
}

function teardown() {
  router.stop();
  ws.disconnect();
  shell?.destroy();
  shell = null;
}

export async function logout() {
  try {
    await api.post("/auth/logout");
  } catch {
    // the session is gone either way; the login screen is the right place now
  }
  resetSession();
  setCsrf(null);
  history.replaceState(null, "", "#/");
  showLogin("You are signed out.");
}

onUnauthorized(() => {
  if (!shell) return;
  resetSession();
  showLogin("Your session ended. Sign in again.");
});
ws.on("unauthorized", () => {
  if (!shell) return;
  resetSession();
  showLogin("Your session ended. Sign in again.");
});

boot();

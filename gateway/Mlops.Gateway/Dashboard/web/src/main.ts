import { get, post, api, setCsrf, Identity, ApiError } from "./api";
import { h, card, errorBox } from "./ui";
import * as live from "./live";
import { overview } from "./pages/overview";
import { rollouts } from "./pages/rollouts";
import { models } from "./pages/models";
import { runs } from "./pages/runs";
import { monitoring } from "./pages/monitoring";
import { sagas } from "./pages/sagas";

type Page = (main: HTMLElement, me: Identity, arg?: string) => Promise<unknown>;
const pages: [string, string, Page][] = [
  ["overview", "Overview", overview], ["rollouts", "Rollouts", rollouts], ["models", "Models", models],
  ["runs", "Training runs", runs], ["monitoring", "Monitoring", monitoring], ["sagas", "Sagas & dead letters", sagas],
];

const main = document.getElementById("main")!;
const nav = document.getElementById("nav")!;
const who = document.getElementById("who")!;
let me: Identity | null = null;

async function boot() {
  try {
    me = await get<Identity>("/api/gateway/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signIn();
    main.replaceChildren(errorBox(e));
    return;
  }
  setCsrf(me.csrfToken);
  who.replaceChildren(`${me.name} (${me.roles.join(", ")}) `, h("button", { class: "secondary", "data-action": "sign-out", onclick: signOut }, "Sign out"));
  nav.replaceChildren(...pages.map(([id, label]) => h("a", { href: `#/${id}`, "data-page": id }, label)));
  live.start(document.getElementById("live")!);
  window.addEventListener("hashchange", route);
  await route();
}

async function route() {
  if (!me) return;
  const [, id = "overview", arg] = location.hash.split("/").map(decodeURIComponent);
  const page = pages.find(p => p[0] === id) ?? pages[0];
  nav.querySelectorAll("a").forEach(a => a.classList.toggle("active", a.dataset.page === page[0]));
  live.clear();
  main.dataset.page = page[0];
  main.dataset.ready = "false";
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    await page[2](main, me, arg);
  } catch (e) {
    main.replaceChildren(card(page[1], errorBox(e)));
  }
  main.dataset.ready = "true";
}

function signIn() {
  const key = h("input", { type: "password", size: 60, placeholder: "mlops_…", "aria-label": "API key", autocomplete: "off" }) as HTMLInputElement;
  const message = h("p", { class: "error" });
  const form = h("form", { "data-testid": "sign-in" }, h("p", {}, "Paste an API key (POST /api/gateway/keys issues them; viewers need any role, actions need operate or admin)."),
    key, " ", h("button", { type: "submit" }, "Sign in"), message);
  form.addEventListener("submit", async e => {
    e.preventDefault();
    try {
      await post("/api/gateway/session", { apiKey: key.value });
      location.reload();
    } catch (err) {
      message.textContent = (err as ApiError).message;
    }
  });
  main.replaceChildren(card("Sign in", form));
  main.dataset.ready = "true";
}

async function signOut() {
  live.stop();
  await api("DELETE", "/api/gateway/session");
  location.hash = "";
  location.reload();
}

void boot();

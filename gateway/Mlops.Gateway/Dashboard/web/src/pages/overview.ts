import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, fmt, errorBox } from "../ui";
import * as live from "../live";
import type { AlertEntry, FeedSnapshot, SloStatus } from "../types";

export async function overview(main: HTMLElement, _me: Identity) {
  const services = h("div", { "data-testid": "services" });
  const alerts = h("div", { "data-testid": "alerts" });
  const breaches = h("div", { "data-testid": "open-breaches" });
  const rollouts = h("div");
  main.replaceChildren(section("Overview", card("Services", services), card("Open SLO breaches (rules firing now)", breaches), card("Active rollouts", rollouts),
    card("Alerts of the last 24 h (newest 50)", alerts)));

  // The snapshot's sequence is on the table: which poll the figures come from (GET /api/gateway/dashboard/services
  // answers with the same sequence for the same poll). Totals are shown whole, as counted.
  const renderServices = (snapshot: FeedSnapshot) => services.replaceChildren(
    table(snapshot.services ?? [], [
      ["service", s => s.service],
      ["health", s => pill(s.health)],
      ["requests/s", s => s.requestsPerSecond === null ? "…" : s.requestsPerSecond.toFixed(2)],
      ["5xx/s", s => s.errorsPerSecond === null ? "…" : s.errorsPerSecond.toFixed(3)],
      ["requests", s => s.requestsTotal],
      ["5xx", s => s.errorsTotal],
      ["detail", s => s.detail ?? ""],
    ], { "data-testid": "services-table", "data-sequence": snapshot.sequence, "data-at": snapshot.at }, s => ({ "data-service": s.service })),
    h("p", { class: "muted" }, `polled ${fmt(snapshot.at)}`));
  renderServices(live.latest ?? await get("/api/gateway/dashboard/services"));
  live.onSnapshot(renderServices);

  const loadRollouts = async () => {
    const { data, error } = await tryGet<any[]>("/api/registry/rollouts");
    if (error) return rollouts.replaceChildren(errorBox(error));
    const active = (data ?? []).filter(r => ["Progressing", "Analysing", "Paused", "Promoting", "AwaitingPromotionApproval"].includes(r.state));
    rollouts.replaceChildren(table(active, [
      ["model", r => h("a", { href: `#/rollouts/${r.rolloutId}` }, r.modelName)],
      ["candidate", r => r.candidateVersion], ["state", r => pill(r.state)], ["weight", r => `${r.steps[r.currentStep] ?? 100} %`],
    ]), h("p", { class: "muted" }, `${(data ?? []).length} rollouts in all`));
  };
  // Every alert type (drift, performance, SLO breached and cleared) detected in the last 24 h, newest first; the window's
  // start is kept on the card (data-from) with the answer it got.
  const loadAlerts = async () => {
    const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
    const { data, error } = await tryGet<AlertEntry[]>(`/api/monitoring/alerts?from=${encodeURIComponent(since)}&limit=50`);
    alerts.dataset.from = since;
    if (error) return alerts.replaceChildren(errorBox(error));
    alerts.replaceChildren(table(data ?? [], [
      ["detected", a => a.detectedAt], ["type", a => a.type], ["model", a => `${a.modelName} ${a.modelVersion}`], ["variant", a => a.variant], ["published", a => a.publishedAt],
    ], { "data-testid": "alerts-table" }, a => ({ "data-alert": a.alertId })));
  };
  // What is open now: every SLO rule that fires for a model version (a breach stays open until its rule stops firing;
  // drift and performance alerts are events, listed below). Raising or clearing one is an alert, so the alerts topic
  // moves whenever this list can change.
  const loadBreaches = async () => {
    const { data, error } = await tryGet<SloStatus[]>("/api/monitoring/slo");
    if (error) return breaches.replaceChildren(errorBox(error));
    const firing = (data ?? []).flatMap(s => s.rules.filter(r => r.firing).map(r => ({ s, r })));
    const burn = (b: { burnRate: number | null; window: string }) => `${b.burnRate === null ? "—" : b.burnRate.toFixed(1)} over ${b.window}`;
    breaches.replaceChildren(table(firing, [
      ["model", x => h("a", { href: `#/monitoring/${encodeURIComponent(x.s.modelName)}` }, x.s.modelName)], ["version", x => x.s.modelVersion], ["SLO", x => x.s.kind],
      ["severity", x => x.r.severity], ["long window", x => burn(x.r.long)], ["short window", x => burn(x.r.short)], ["burn threshold", x => x.r.burnRateThreshold],
    ], { "data-testid": "open-breaches-table" }));
  };
  await Promise.all([loadRollouts(), loadAlerts(), loadBreaches()]);
  live.onTopic("rollouts", loadRollouts);
  live.onTopic("alerts", () => Promise.all([loadAlerts(), loadBreaches()]));
}

import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, errorBox } from "../ui";
import { lineChart, seconds } from "../charts";
import * as live from "../live";
import type { AlertEntry, PerformanceWindow, WebhookDelivery, WebhookSubscription } from "../types";

const ms = (iso: string) => new Date(iso).getTime();

export async function monitoring(main: HTMLElement, me: Identity, model?: string) {
  const list = await get<any[]>("/api/registry/models");
  const chosen = model ?? list.find(m => m.champion ?? m.championVersion)?.name ?? list[0]?.name;
  const select = h("select", { "aria-label": "model", onchange: (e: Event) => { location.hash = `#/monitoring/${encodeURIComponent((e.target as HTMLSelectElement).value)}`; } },
    ...list.map(m => h("option", { value: m.name, selected: m.name === chosen }, m.name)));
  const body = h("div", { "data-testid": "monitoring" });
  main.replaceChildren(section("Monitoring", card(null, h("div", { class: "row" }, "model", select)), body));
  if (!chosen) return body.replaceChildren(h("p", { class: "muted" }, "No model registered yet."));
  const m = encodeURIComponent(chosen);
  const [drift, perf, slo, alerts, hooks] = await Promise.all([
    tryGet<any[]>(`/api/monitoring/models/${m}/drift?limit=200`), tryGet<PerformanceWindow[]>(`/api/monitoring/models/${m}/performance?limit=200`),
    tryGet<any[]>(`/api/monitoring/slo/${m}`), tryGet<AlertEntry[]>(`/api/monitoring/alerts?model=${m}&limit=100`), tryGet<WebhookSubscription[]>("/api/monitoring/webhooks")]);

  // Drift: one chart per feature, its score per window against its threshold.
  const windows = (drift.data ?? []).slice().sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  const features = [...new Set(windows.flatMap(w => (w.features ?? []).map((f: any) => f.feature)))].sort();
  const driftCharts = features.map(f => {
    const points = windows.map(w => ({ t: seconds(w.windowEnd), r: (w.features ?? []).find((x: any) => x.feature === f) })).filter(p => p.r);
    return lineChart(`${f} (${points[0]?.r.method})`, points.map(p => p.t), [{ label: "score", values: points.map(p => p.r.score) }, { label: "threshold", values: points.map(p => p.r.threshold), dash: true, color: "#c0392b" }]);
  });
  // Performance: each version and variant is judged in windows of its own (a champion, its challenger, the next champion),
  // so each gets its charts; their windows can end at the same instant. x: the window's end in seconds, to the millisecond
  // (what a Date holds).
  const perfWindows = (perf.data ?? []).slice().sort((a, b) => ms(a.windowEnd) - ms(b.windowEnd) || a.windowId - b.windowId);
  const perfGroups = [...new Set(perfWindows.map(w => `${w.modelVersion} ${w.variant}`))].sort();
  const perfCharts = perfGroups.map(g => {
    const ws = perfWindows.filter(w => `${w.modelVersion} ${w.variant}` === g);
    const pt = ws.map(w => ms(w.windowEnd) / 1000);
    return h("div", { "data-testid": "performance-group", "data-version": ws[0].modelVersion, "data-variant": ws[0].variant },
      h("h3", {}, `${g} (${ws.length} windows)`),
      h("div", { class: "grid" },
        lineChart(`AUROC: ${g}`, pt, [{ label: "auroc", values: ws.map(w => w.auroc) }, { label: "baseline", values: ws.map(w => w.baselineAuroc), dash: true, color: "#c0392b" }]),
        lineChart(`label coverage: ${g}`, pt, [{ label: "coverage", values: ws.map(w => w.coverage) }]),
        lineChart(`Brier / ECE: ${g}`, pt, [{ label: "brier", values: ws.map(w => w.brier) }, { label: "ece", values: ws.map(w => w.ece) }])));
  });

  // Webhooks are not per model: the deliveries shown are those of this model's alerts (listed below), newest first.
  const deliveries = h("div");
  const hookList = hooks.data ?? [];
  const alertIds = new Set((alerts.data ?? []).map(a => a.alertId));
  if (hookList.length) {
    const read = await Promise.all(hookList.map(async w => ({ w, r: await tryGet<WebhookDelivery[]>(`/api/monitoring/webhooks/${w.webhookId}/deliveries`) })));
    const failed = read.find(x => x.r.error);
    const rows = read.flatMap(({ w, r }) => (r.data ?? []).filter(d => alertIds.has(d.alertId)).map(d => ({ hook: w, d })))
      .sort((a, b) => ms(b.d.createdAt) - ms(a.d.createdAt) || b.d.deliveryId - a.d.deliveryId);
    const last = (d: WebhookDelivery) => d.history[d.history.length - 1];
    deliveries.replaceChildren(failed ? errorBox(failed.r.error) : "", table(rows.slice(0, 100), [["webhook", x => x.hook.url], ["created", x => x.d.createdAt], ["alert", x => x.d.alertId],
      ["event", x => x.d.eventType], ["status", x => pill(x.d.status)], ["attempts", x => x.d.attempts], ["last answer", x => last(x.d)?.statusCode ?? last(x.d)?.error ?? "—"],
      ["finished", x => x.d.finishedAt]], { "data-testid": "deliveries" }, x => ({ "data-delivery": x.d.deliveryId, "data-webhook": x.hook.webhookId })));
  } else deliveries.replaceChildren(hooks.error ? errorBox(hooks.error) : h("p", { class: "muted" }, "No webhook subscribed."));

  body.replaceChildren(
    card(`Drift per feature over time (${windows.length} windows)`, drift.error ? errorBox(drift.error) : h("div", { class: "grid" }, ...driftCharts),
      table(windows.slice(-10).reverse(), [["window end", w => w.windowEnd], ["version", w => w.modelVersion], ["variant", w => w.variant], ["samples", w => w.samples],
        ["drifted", w => `${w.driftedFeatures}/${w.evaluatedFeatures}`], ["dataset drift", w => w.datasetDrift === null ? "—" : pill(w.datasetDrift ? "failed" : "passed")]], { "data-testid": "drift-windows" })),
    card(`Performance over time with label coverage (${perfWindows.length} windows)`, perf.error ? errorBox(perf.error)
      : h("div", { "data-testid": "performance" }, ...(perfCharts.length ? perfCharts : [h("p", { class: "muted" }, "No window scored yet.")]))),
    card("SLO burn", slo.error ? errorBox(slo.error) : table((slo.data ?? []).flatMap(s => s.rules.map((r: any) => ({ s, r }))), [["version", x => x.s.modelVersion], ["SLO", x => `${x.s.kind} ${x.s.objective}`],
      ["severity", x => x.r.severity], ["burn threshold", x => x.r.burnRateThreshold], ["long burn", x => x.r.long.burnRate], ["short burn", x => x.r.short.burnRate], ["firing", x => pill(x.r.firing ? "failed" : "passed")]], { "data-testid": "slo" })),
    card("Alert history", alerts.error ? errorBox(alerts.error) : table(alerts.data ?? [], [["detected", a => a.detectedAt], ["type", a => a.type], ["version", a => a.modelVersion], ["variant", a => a.variant], ["published", a => a.publishedAt]], { "data-testid": "alert-history" })),
    card("Webhook deliveries", deliveries));
  live.onTopic("alerts", () => monitoring(main, me, chosen));
}

import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, errorBox } from "../ui";
import { lineChart, seconds } from "../charts";
import * as live from "../live";

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
    tryGet<any[]>(`/api/monitoring/models/${m}/drift?limit=200`), tryGet<any[]>(`/api/monitoring/models/${m}/performance?limit=200`),
    tryGet<any[]>(`/api/monitoring/slo/${m}`), tryGet<any[]>(`/api/monitoring/alerts?model=${m}&limit=100`), tryGet<any[]>("/api/monitoring/webhooks")]);

  // Drift: one chart per feature, its score per window against its threshold.
  const windows = (drift.data ?? []).slice().sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  const features = [...new Set(windows.flatMap(w => (w.features ?? []).map((f: any) => f.feature)))].sort();
  const driftCharts = features.map(f => {
    const points = windows.map(w => ({ t: seconds(w.windowEnd), r: (w.features ?? []).find((x: any) => x.feature === f) })).filter(p => p.r);
    return lineChart(`${f} (${points[0]?.r.method})`, points.map(p => p.t), [{ label: "score", values: points.map(p => p.r.score) }, { label: "threshold", values: points.map(p => p.r.threshold), dash: true, color: "#c0392b" }]);
  });
  const perfWindows = (perf.data ?? []).slice().sort((a, b) => a.windowEnd.localeCompare(b.windowEnd));
  const pt = perfWindows.map(w => seconds(w.windowEnd));

  const deliveries = h("div");
  const hookList = hooks.data ?? [];
  if (hookList.length) {
    const rows = (await Promise.all(hookList.map(async w => ((await tryGet<any[]>(`/api/monitoring/webhooks/${w.webhookId ?? w.id}/deliveries`)).data ?? []).map(d => ({ hook: w, d }))))).flat();
    deliveries.replaceChildren(table(rows.slice(0, 100), [["webhook", x => x.hook.url], ["at", x => x.d.attemptedAt ?? x.d.at ?? x.d.createdAt], ["event", x => x.d.eventType ?? x.d.type],
      ["status", x => x.d.statusCode ?? x.d.status], ["attempts", x => x.d.attempts], ["outcome", x => x.d.outcome ?? x.d.error ?? ""]], { "data-testid": "deliveries" }));
  } else deliveries.replaceChildren(hooks.error ? errorBox(hooks.error) : h("p", { class: "muted" }, "No webhook subscribed."));

  body.replaceChildren(
    card(`Drift per feature over time (${windows.length} windows)`, drift.error ? errorBox(drift.error) : h("div", { class: "grid" }, ...driftCharts),
      table(windows.slice(-10).reverse(), [["window end", w => w.windowEnd], ["version", w => w.modelVersion], ["variant", w => w.variant], ["samples", w => w.samples],
        ["drifted", w => `${w.driftedFeatures}/${w.evaluatedFeatures}`], ["dataset drift", w => w.datasetDrift === null ? "—" : pill(w.datasetDrift ? "failed" : "passed")]], { "data-testid": "drift-windows" })),
    card(`Performance over time with label coverage (${perfWindows.length} windows)`, perf.error ? errorBox(perf.error) : h("div", { class: "grid" },
      lineChart("AUROC", pt, [{ label: "auroc", values: perfWindows.map(w => w.auroc) }, { label: "baseline", values: perfWindows.map(w => w.baselineAuroc), dash: true, color: "#c0392b" }]),
      lineChart("label coverage", pt, [{ label: "coverage", values: perfWindows.map(w => w.coverage) }]),
      lineChart("Brier / ECE", pt, [{ label: "brier", values: perfWindows.map(w => w.brier) }, { label: "ece", values: perfWindows.map(w => w.ece) }]))),
    card("SLO burn", slo.error ? errorBox(slo.error) : table((slo.data ?? []).flatMap(s => s.rules.map((r: any) => ({ s, r }))), [["version", x => x.s.modelVersion], ["SLO", x => `${x.s.kind} ${x.s.objective}`],
      ["severity", x => x.r.severity], ["burn threshold", x => x.r.burnRateThreshold], ["long burn", x => x.r.long.burnRate], ["short burn", x => x.r.short.burnRate], ["firing", x => pill(x.r.firing ? "failed" : "passed")]], { "data-testid": "slo" })),
    card("Alert history", alerts.error ? errorBox(alerts.error) : table(alerts.data ?? [], [["detected", a => a.detectedAt], ["type", a => a.type], ["version", a => a.modelVersion], ["variant", a => a.variant], ["published", a => a.publishedAt]], { "data-testid": "alert-history" })),
    card("Webhook deliveries", deliveries));
  live.onTopic("alerts", () => monitoring(main, me, chosen));
}

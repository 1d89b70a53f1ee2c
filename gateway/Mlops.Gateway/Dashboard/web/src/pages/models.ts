import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, fmt, errorBox, kv, clip } from "../ui";
import { lineChart } from "../charts";
import * as live from "../live";

export async function models(main: HTMLElement, _me: Identity, name?: string) {
  const list = await get<any[]>("/api/registry/models");
  const detail = h("div", { "data-testid": "model-detail" });
  main.replaceChildren(section("Models",
    card(null, table(list, [["model", m => h("a", { href: `#/models/${encodeURIComponent(m.name)}` }, m.name)], ["champion", m => m.champion ?? m.championVersion ?? "—"],
      ["revision", m => m.revision], ["updated", m => m.updatedAt]], { "data-testid": "models-table" })), detail));
  const chosen = name ?? list.find(m => (m.champion ?? m.championVersion))?.name ?? list[0]?.name;
  if (chosen) await model(detail, chosen);
  live.onTopic("models", () => models(main, _me, chosen));
}

async function model(el: HTMLElement, name: string, asOf?: string) {
  const q = asOf ? `?asOf=${encodeURIComponent(new Date(asOf).toISOString())}` : "";
  const { data: m, error } = await tryGet(`/api/registry/models/${encodeURIComponent(name)}${q}`);
  if (error) return el.replaceChildren(errorBox(error));
  const versions = Object.values(m.versions ?? {}) as any[];
  versions.sort((a, b) => a.registeredAt.localeCompare(b.registeredAt));
  const aliasesOf = (v: string) => Object.entries(m.aliases ?? {}).filter(([, x]) => x === v).map(([a]) => a).join(", ");
  const metricNames = [...new Set(versions.flatMap(v => Object.keys(v.registration?.metrics?.overall ?? {})))].sort();
  const metricSelect = h("select", { "aria-label": "metric" }, ...metricNames.map(n => h("option", { value: n, selected: n === "auroc" }, n))) as HTMLSelectElement;
  const metricChart = h("div");
  const drawMetric = () => metricChart.replaceChildren(lineChart(`${metricSelect.value} across versions`, versions.map((_, i) => i + 1),
    [{ label: metricSelect.value, values: versions.map(v => v.registration?.metrics?.overall?.[metricSelect.value] ?? null) }], { time: false }),
    h("p", { class: "muted" }, `x: 1…${versions.length} = versions ${versions.map(v => v.registration.version).join(", ")}`));
  metricSelect.addEventListener("change", drawMetric);
  drawMetric();

  const asOfInput = h("input", { type: "datetime-local", "aria-label": "as of", value: asOf ?? "" }) as HTMLInputElement;
  asOfInput.addEventListener("change", () => model(el, name, asOfInput.value || undefined));
  const latest = versions[versions.length - 1];
  const card_ = h("div");
  const lineage = h("div");
  const showVersion = async (v: any) => {
    const reg = v.registration;
    lineage.replaceChildren(table([reg], [["version", r => r.version], ["dataset version", r => r.datasetVersion], ["feature set", r => r.featureSetVersion],
      ["training run", r => h("a", { href: `#/runs/${r.trainingRunId}` }, r.trainingRunId)], ["code", r => r.codeVersion]], { "data-testid": "lineage" }));
    const bins = reg.metrics?.calibration ?? [];
    const { data: c, error: ce } = await tryGet(`/api/registry/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(reg.version)}/card`);
    card_.replaceChildren(ce ? errorBox(ce) : h("div", { "data-testid": "model-card" }, kv(Object.fromEntries(Object.entries(c ?? {}).filter(([, x]) => typeof x !== "object").map(([k, x]) => [k, clip(x, 400)])))),
      lineChart(`reliability of ${reg.version}`, bins.map((b: any) => b.meanPredicted), [{ label: "observed", values: bins.map((b: any) => b.observedRate ?? b.observed ?? null) },
        { label: "perfect", values: bins.map((b: any) => b.meanPredicted), dash: true, color: "#6a7385" }], { time: false }));
  };
  const { data: timeline } = await tryGet<any[]>(`/api/registry/models/${encodeURIComponent(name)}/history`);
  el.replaceChildren(
    card(`${name} (revision ${m.revision})`, h("div", { class: "row" }, "as of", asOfInput, h("span", { class: "muted" }, asOf ? `showing the registry as it was at ${asOf}` : "now")),
      h("p", {}, "Aliases: ", ...Object.entries(m.aliases ?? {}).map(([a, v]) => h("span", { class: "pill" }, `${a} → ${v}`))),
      table(versions, [["version", v => h("a", { href: `#/models/${encodeURIComponent(name)}`, onclick: (e: Event) => { e.preventDefault(); void showVersion(v); } }, v.registration.version)], ["stage", v => pill(v.stage)],
        ["aliases", v => aliasesOf(v.registration.version)], ["registered", v => v.registeredAt], ["auroc", v => v.registration.metrics?.overall?.auroc],
        ["dataset", v => v.registration.datasetVersion], ["run", v => v.registration.trainingRunId]], { "data-testid": "versions" })),
    card("A metric across versions", metricSelect, metricChart),
    card("Lineage", lineage), card("Model card", card_),
    card("Registry timeline", table((timeline ?? []).slice(-50).reverse(), [["revision", e => e.revision], ["at", e => e.at], ["event", e => String(e.type).replace(/^mlops\.registry\./, "")],
      ["version", e => e.data?.version ?? ""], ["alias", e => e.data?.alias ?? ""], ["by", e => e.actor], ["reason", e => clip(e.reason, 160)]], { "data-testid": "timeline" })));
  if (latest) await showVersion(latest);
}

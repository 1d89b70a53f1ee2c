import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, fmt, errorBox, clip } from "../ui";
import { lineChart } from "../charts";
import * as live from "../live";

/** The "as of" time chosen per model (the picker's value), kept across the re-renders the live feed causes. */
const asOfChosen = new Map<string, string>();

export async function models(main: HTMLElement, _me: Identity, name?: string) {
  const list = await get<any[]>("/api/registry/models");
  const detail = h("div", { "data-testid": "model-detail" });
  main.replaceChildren(section("Models",
    card(null, table(list, [["model", m => h("a", { href: `#/models/${encodeURIComponent(m.name)}` }, m.name)], ["champion", m => m.champion ?? m.championVersion ?? "—"],
      ["revision", m => m.revision], ["updated", m => m.updatedAt]], { "data-testid": "models-table" })), detail));
  const chosen = name ?? list.find(m => (m.champion ?? m.championVersion))?.name ?? list[0]?.name;
  if (chosen) await model(detail, chosen, asOfChosen.get(chosen));
  live.onTopic("models", () => models(main, _me, chosen));
}

let renders = 0;

/**
 * One model now, or as the registry held it at asOf (the picker's local time). When done, the element's data-showing
 * says which: "now", or the instant asked for (ISO, UTC), so a reader knows the figures on it are that state's.
 */
async function model(el: HTMLElement, name: string, asOf?: string) {
  const render = ++renders;
  delete el.dataset.showing;
  if (asOf) asOfChosen.set(name, asOf); else asOfChosen.delete(name);
  const at = asOf ? new Date(asOf).toISOString() : null;
  const q = at ? `?asOf=${encodeURIComponent(at)}` : "";
  const { data: m, error } = await tryGet(`/api/registry/models/${encodeURIComponent(name)}${q}`);
  if (render !== renders) return;
  if (error) {
    el.replaceChildren(card(name, asOfPicker(el, name, asOf), errorBox(error)));
    el.dataset.showing = at ?? "now";
    return;
  }
  const versions = Object.values(m.versions ?? {}) as any[];
  versions.sort((a, b) => new Date(a.registeredAt).getTime() - new Date(b.registeredAt).getTime() || a.registration.version.localeCompare(b.registration.version));
  const aliasesOf = (v: string) => Object.entries(m.aliases ?? {}).filter(([, x]) => x === v).map(([a]) => a).join(", ");
  const metricNames = [...new Set(versions.flatMap(v => Object.keys(v.registration?.metrics?.overall ?? {})))].sort();
  const metricSelect = h("select", { "aria-label": "metric" }, ...metricNames.map(n => h("option", { value: n, selected: n === "auroc" }, n))) as HTMLSelectElement;
  const metricChart = h("div", { "data-testid": "metric-across-versions" });
  // x is the version's place in registration order; data-versions names them in that order.
  const drawMetric = () => {
    metricChart.dataset.versions = JSON.stringify(versions.map(v => v.registration.version));
    metricChart.replaceChildren(lineChart(`${metricSelect.value} across versions`, versions.map((_, i) => i + 1),
      [{ label: metricSelect.value, values: versions.map(v => v.registration?.metrics?.overall?.[metricSelect.value] ?? null) }], { time: false }),
      h("p", { class: "muted" }, `x: 1…${versions.length} = versions ${versions.map(v => v.registration.version).join(", ")}`));
  };
  metricSelect.addEventListener("change", drawMetric);
  drawMetric();

  const latest = versions[versions.length - 1];
  const card_ = h("div");
  const lineage = h("div");
  const showVersion = async (v: any) => {
    const reg = v.registration;
    lineage.replaceChildren(table([reg], [["version", r => r.version], ["dataset version", r => r.datasetVersion], ["feature set", r => r.featureSetVersion],
      ["training run", r => h("a", { href: `#/runs/${r.trainingRunId}` }, r.trainingRunId)], ["code", r => r.codeVersion]], { "data-testid": "lineage" }));
    const bins = reg.metrics?.calibration ?? [];
    const { data: c, error: ce } = await tryGet(`/api/registry/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(reg.version)}/card`);
    card_.replaceChildren(ce ? errorBox(ce) : modelCard(c, !!at),
      lineChart(`reliability of ${reg.version}`, bins.map((b: any) => b.meanPredicted), [{ label: "observed", values: bins.map((b: any) => b.observedRate ?? b.observed ?? null) },
        { label: "perfect", values: bins.map((b: any) => b.meanPredicted), dash: true, color: "#6a7385" }], { time: false }));
  };
  const { data: timeline } = await tryGet<any[]>(`/api/registry/models/${encodeURIComponent(name)}/history`);
  if (render !== renders) return;
  el.replaceChildren(
    card(`${name} (revision ${m.revision})`, asOfPicker(el, name, asOf),
      h("p", { "data-testid": "aliases" }, "Aliases: ", ...Object.entries(m.aliases ?? {}).map(([a, v]) => h("span", { class: "pill", "data-alias": a, "data-version": v }, `${a} → ${v}`))),
      table(versions, [["version", v => h("a", { href: `#/models/${encodeURIComponent(name)}`, onclick: (e: Event) => { e.preventDefault(); void showVersion(v); } }, v.registration.version)], ["stage", v => pill(v.stage)],
        ["aliases", v => aliasesOf(v.registration.version)], ["registered", v => v.registeredAt], ["auroc", v => v.registration.metrics?.overall?.auroc],
        ["dataset", v => v.registration.datasetVersion], ["run", v => v.registration.trainingRunId]], { "data-testid": "versions", "data-revision": m.revision }, v => ({ "data-version": v.registration.version }))),
    card("A metric across versions", metricSelect, metricChart),
    card("Lineage", lineage), card("Model card", card_),
    card("Registry timeline", table((timeline ?? []).slice(-50).reverse(), [["revision", e => e.revision], ["at", e => e.at], ["event", e => String(e.type).replace(/^mlops\.registry\./, "")],
      ["version", e => e.data?.version ?? ""], ["alias", e => e.data?.alias ?? ""], ["by", e => e.actor], ["reason", e => clip(e.reason, 160)]], { "data-testid": "timeline" })));
  if (latest) await showVersion(latest);
  if (render === renders) el.dataset.showing = at ?? "now";
}

/** The picker: to the second, in the browser's time zone; emptied, the page shows the registry now. */
function asOfPicker(el: HTMLElement, name: string, asOf?: string) {
  const input = h("input", { type: "datetime-local", step: 1, "aria-label": "as of", value: asOf ?? "" }) as HTMLInputElement;
  input.addEventListener("change", () => model(el, name, input.value || undefined));
  return h("div", { class: "row" }, "as of", input,
    h("span", { class: "muted", "data-testid": "as-of-note" }, asOf ? `showing the registry as it was at ${fmt(new Date(asOf).toISOString())}` : "now"));
}

/**
 * The version's model card as the registry generates it (GET …/versions/{v}/card): every field, the texts whole, each
 * row marked with its field (data-field) and each metric with its value unrounded (data-value).
 */
function modelCard(c: any, asOfShown: boolean): HTMLElement {
  const spec = (s: any) => `${s.name} (${s.type})`;
  const row = (field: string, label: string, text: string | null | undefined) => h("tr", { "data-field": field }, h("th", {}, label),
    h("td", { class: "card-text" }, text === null || text === undefined || text === "" ? "—" : text));
  const overall = Object.entries(c.metrics?.overall ?? {}).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0) as [string, number][];
  const checks = Object.entries(c.metrics?.checks ?? {}) as [string, boolean][];
  return h("div", { "data-testid": "model-card", "data-version": c.version },
    asOfShown ? h("p", { class: "muted" }, "The card is the version's as the registry holds it now.") : null,
    h("table", { "data-testid": "card-fields" }, h("tbody", {},
      row("model", "model", c.model), row("version", "version", c.version), row("stage", "stage", c.stage),
      row("aliases", "aliases", (c.aliases ?? []).length ? c.aliases.join(", ") : "none"),
      row("registeredAt", "registered", fmt(c.registeredAt)), row("registeredBy", "registered by", c.registeredBy),
      row("description", "description", c.description), row("intendedUse", "intended use", c.intendedUse), row("limitations", "limitations", c.limitations),
      row("data.datasetVersion", "dataset version", c.data?.datasetVersion), row("data.featureSetVersion", "feature-set version", c.data?.featureSetVersion),
      row("data.inputs", `inputs (${(c.data?.inputs ?? []).length})`, (c.data?.inputs ?? []).map(spec).join(", ")),
      row("data.outputs", "outputs", (c.data?.outputs ?? []).map(spec).join(", ")),
      row("lineage.trainingRunId", "training run", c.lineage?.trainingRunId), row("lineage.codeVersion", "code version", c.lineage?.codeVersion),
      row("lineage.artifactSha256", "artifact SHA-256", c.lineage?.artifactSha256),
      row("checks", "checks", checks.map(([k, v]) => `${k}: ${v ? "passed" : "failed"}`).join(", ")),
      row("history", "history", `${(c.history ?? []).length} events`))),
    h("h3", {}, "Metrics"),
    table(overall, [["metric", ([k]) => k], ["value", ([, v]) => v]], { "data-testid": "card-metrics" }, ([k, v]) => ({ "data-metric": k, "data-value": JSON.stringify(v) })));
}

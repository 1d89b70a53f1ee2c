import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, fmt, errorBox, kv } from "../ui";
import { lineChart, seconds } from "../charts";
import * as live from "../live";
import type { RunView } from "../types";

export async function runs(main: HTMLElement, me: Identity, id?: string) {
  const all = await get<any[]>("/api/training/runs?limit=100");
  const detail = h("div", { "data-testid": "run-detail" });
  const compare = h("div", { "data-testid": "run-compare" });
  const options = () => all.map(r => h("option", { value: r.runId }, `${r.name} ${r.runId.slice(0, 8)} (${r.status})`));
  const a = h("select", { "aria-label": "run a" }, ...options()) as HTMLSelectElement;
  const b = h("select", { "aria-label": "run b" }, ...options()) as HTMLSelectElement;
  if (all.length > 1) b.selectedIndex = 1;
  const doCompare = async () => {
    const { data, error } = await tryGet(`/api/training/runs/compare?a=${a.value}&b=${b.value}`);
    if (error) return compare.replaceChildren(errorBox(error));
    const names = Object.keys(data.metrics);
    compare.replaceChildren(
      h("p", {}, `same parameters: ${fmt(data.sameParameters)}; same training set: ${fmt(data.sameTrainingSet)}; same model: ${fmt(data.sameModel)}`),
      table(names, [["metric", n => n], ["a", n => data.metrics[n].a], ["b", n => data.metrics[n].b], ["b − a", n => data.metrics[n].difference]], { "data-testid": "metric-deltas" }),
      lineChart("metrics side by side (x: metric number)", names.map((_, i) => i + 1), [{ label: "a", values: names.map(n => data.metrics[n].a) }, { label: "b", values: names.map(n => data.metrics[n].b) }], { time: false }),
      h("p", { class: "muted" }, names.map((n, i) => `${i + 1} = ${n}`).join(", ")));
  };
  main.replaceChildren(section("Training runs",
    card(null, table(all, [["run", r => h("a", { href: `#/runs/${r.runId}` }, r.runId.slice(0, 8))], ["name", r => r.name], ["status", r => pill(r.status)],
      ["step", r => r.currentStep ?? r.failedStep ?? ""], ["auroc", r => r.metrics?.auroc], ["parent", r => r.parentRunId?.slice(0, 8) ?? ""], ["started", r => r.startedAt],
      ["duration (s)", r => r.durationMs ? r.durationMs / 1000 : null]], { "data-testid": "runs-table" })),
    detail, card("Compare two runs", h("div", { class: "row" }, a, b, h("button", { onclick: doCompare }, "Compare")), compare)));
  const chosen = id ?? all[0]?.runId;
  if (chosen) await run(detail, chosen);
  if (all.length > 1) await doCompare();
  live.onTopic("runs", () => runs(main, me, chosen));
}

async function run(el: HTMLElement, id: string) {
  const { data, error } = await tryGet<RunView>(`/api/training/runs/${id}`);
  if (error || !data) return el.replaceChildren(errorBox(error));
  const r = data.run;
  const children = (r.childRunIds ?? []) as string[];
  const start = seconds(r.startedAt);
  el.replaceChildren(card(`Run ${r.runId}`,
    h("p", {}, pill(r.status), ` pipeline ${data.pipelineState ?? "—"}, step ${data.currentStep ?? "—"}`, r.failureReason ? h("span", { class: "error" }, ` ${r.failedStep}: ${r.failureReason}`) : null),
    h("p", { class: "muted" }, `started ${fmt(r.startedAt)}, finished ${fmt(r.finishedAt)}; dataset ${r.datasetVersion ?? "—"}, feature set ${r.featureSetVersion ?? "—"}, seed ${r.seed}, on ${r.machine ?? "—"}`),
    h("div", { class: "grid" }, h("div", {}, h("h3", {}, "Metrics"), kv(r.metrics)), h("div", {}, h("h3", {}, "Parameters"), h("pre", {}, JSON.stringify(r.parameters, null, 2)))),
    h("h3", {}, "Timeline"), lineChart("run timeline (seconds from start)", [start, seconds(r.finishedAt ?? new Date().toISOString())], [{ label: "elapsed s", values: [0, (r.durationMs ?? 0) / 1000] }]),
    children.length ? h("div", {}, h("h3", {}, "Child runs"), ...children.map(c => h("a", { href: `#/runs/${c}`, style: "margin-right:8px" }, c.slice(0, 8)))) : null,
    h("h3", {}, "Artifacts"), table(r.artifacts ?? [], [["name", x => x.name], ["type", x => x.contentType], ["sha256", x => x.sha256.slice(0, 16)], ["bytes", x => x.size]])));
}

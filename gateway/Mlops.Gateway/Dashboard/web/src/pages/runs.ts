import { get, tryGet, Identity } from "../api";
import { h, table, card, section, pill, fmt, errorBox, kv } from "../ui";
import { xyChart, XySeries } from "../charts";
import * as live from "../live";
import type { Evaluation, RunComparison, RunRecord, RunStep, RunView } from "../types";

export async function runs(main: HTMLElement, me: Identity, id?: string) {
  // The newest runs; a search's trials are not among them (the list leaves child runs out): its run's page lists them.
  const all = await get<RunRecord[]>("/api/training/runs?limit=100");
  const detail = h("div", { "data-testid": "run-detail" });
  const compare = h("div", { "data-testid": "run-compare" });
  const options = () => all.map(r => h("option", { value: r.runId }, `${r.name} ${r.runId.slice(0, 8)} (${r.status})`));
  const a = h("select", { "aria-label": "run a" }, ...options()) as HTMLSelectElement;
  const b = h("select", { "aria-label": "run b" }, ...options()) as HTMLSelectElement;
  // By default the newest run against the one before it that got as far as an evaluation.
  const evaluated = all.filter(r => r.metrics?.auroc !== undefined);
  if (evaluated.length > 1) { a.value = evaluated[1].runId; b.value = evaluated[0].runId; }
  else if (all.length > 1) b.selectedIndex = 1;
  const doCompare = () => compareRuns(compare, a.value, b.value);
  main.replaceChildren(section("Training runs",
    card(null, table(all, [["run", r => h("a", { href: `#/runs/${r.runId}` }, r.runId.slice(0, 8))], ["name", r => r.name], ["status", r => pill(r.status)],
      ["step", r => r.currentStep ?? r.failedStep ?? ""], ["auroc", r => r.metrics?.auroc], ["started", r => r.startedAt],
      ["duration (s)", r => r.durationMs ? r.durationMs / 1000 : null]], { "data-testid": "runs-table" }, r => ({ "data-run": r.runId }))),
    detail, card("Compare two runs", h("div", { class: "row" }, h("span", {}, "a"), a, h("span", {}, "b"), b, h("button", { onclick: doCompare }, "Compare")), compare)));
  const chosen = id ?? all[0]?.runId;
  if (chosen) await run(detail, chosen);
  if (all.length > 1) await doCompare();
  live.onTopic("runs", () => runs(main, me, chosen));
}

async function run(el: HTMLElement, id: string) {
  const { data, error } = await tryGet<RunView>(`/api/training/runs/${id}`);
  if (error || !data) return el.replaceChildren(errorBox(error));
  const r = data.run;
  const children = await childRuns(r.childRunIds ?? []);
  el.replaceChildren(card(`Run ${r.runId}`,
    h("p", {}, pill(r.status), ` pipeline ${data.pipelineState ?? "—"}, step ${data.currentStep ?? "—"}`, r.failureReason ? h("span", { class: "error" }, ` ${r.failedStep}: ${r.failureReason}`) : null),
    r.parentRunId ? h("p", { "data-testid": "parent-run" }, "A trial of the search in run ", h("a", { href: `#/runs/${r.parentRunId}` }, r.parentRunId)) : null,
    h("p", { class: "muted" }, `started ${fmt(r.startedAt)}, finished ${fmt(r.finishedAt)}; dataset ${r.datasetVersion ?? "—"}, feature set ${r.featureSetVersion ?? "—"}, seed ${r.seed}, on ${r.machine ?? "—"}`),
    h("div", { class: "grid" }, h("div", {}, h("h3", {}, "Metrics"), kv(r.metrics)), h("div", {}, h("h3", {}, "Parameters"), h("pre", {}, JSON.stringify(r.parameters, null, 2)))),
    h("h3", {}, "Step timeline"), timeline(r),
    children.length ? h("div", {}, h("h3", {}, `Child runs: the search's ${children.length} trials`), table(children, [
      ["run", c => h("a", { href: `#/runs/${c.id}` }, c.id.slice(0, 8))], ["name", c => c.run?.name], ["status", c => c.run ? pill(c.run.status) : "—"],
      ["parameters", c => c.run ? JSON.stringify(c.run.parameters) : "—"], ["validation AUROC", c => c.run?.metrics?.validation_auroc]],
      { "data-testid": "child-runs" }, c => ({ "data-run": c.id, "data-validation-auroc": JSON.stringify(c.run?.metrics?.validation_auroc ?? null) }))) : null,
    h("h3", {}, "Artifacts"), table(r.artifacts ?? [], [["name", x => x.name], ["type", x => x.contentType], ["sha256", x => x.sha256.slice(0, 16)], ["bytes", x => x.size]])));
}

/** A search's trials, the first 100 each read for its parameters and validation score; any further ones only linked. */
async function childRuns(ids: string[]) {
  return Promise.all(ids.map(async (id, i) => ({ id, run: i < 100 ? (await tryGet<RunView>(`/api/training/runs/${id}`)).data?.run ?? null : null })));
}

const ms = (iso: string) => new Date(iso).getTime();

/** Each pipeline step as a bar on the run's time axis (start of the run to its end, or now while it runs), and as a table. */
function timeline(r: RunRecord): HTMLElement {
  const steps = r.steps ?? [];
  if (!steps.length) return h("p", { class: "muted" }, r.parentRunId ? "A search trial: it ran inside its parent's Train step." : "No step recorded for this run.");
  const start = ms(r.startedAt);
  const end = Math.max(r.finishedAt ? ms(r.finishedAt) : Date.now(), ...steps.map(s => s.finishedAt ? ms(s.finishedAt) : Date.now()));
  const span = Math.max(1, end - start);
  const pct = (t: number) => (100 * (t - start) / span).toFixed(2);
  const bar = (s: RunStep) => {
    const from = ms(s.startedAt), to = s.finishedAt ? ms(s.finishedAt) : Date.now();
    // At least a sliver, so a step of a few milliseconds is still seen.
    const width = Math.max(0.4, 100 * (to - from) / span);
    return h("div", { class: "track", title: `${s.step}: ${fmt(s.durationMs === null ? null : s.durationMs / 1000)} s` },
      h("span", { class: `step ${s.status}`, style: `left:${pct(from)}%;width:${width.toFixed(2)}%` }));
  };
  return h("div", { "data-testid": "step-timeline" },
    table(steps, [["step", s => s.step], ["status", s => pill(s.status)], [`0 … ${fmt(span / 1000)} s`, s => bar(s)],
      ["started", s => s.startedAt], ["finished", s => s.finishedAt], ["duration (s)", s => s.durationMs === null ? "running" : s.durationMs / 1000],
      ["attempts", s => s.attempts]], { class: "timeline" }));
}

async function compareRuns(el: HTMLElement, a: string, b: string) {
  const [cmp, ea, eb] = await Promise.all([
    tryGet<RunComparison>(`/api/training/runs/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`),
    tryGet<Evaluation>(`/api/training/runs/${encodeURIComponent(a)}/evaluation`),
    tryGet<Evaluation>(`/api/training/runs/${encodeURIComponent(b)}/evaluation`)]);
  if (cmp.error || !cmp.data) return el.replaceChildren(errorBox(cmp.error));
  const data = cmp.data;
  const names = Object.keys(data.metrics);
  const label = (r: RunRecord, which: string) => `${which}: ${r.runId.slice(0, 8)}`;
  const la = label(data.a, "a"), lb = label(data.b, "b");
  const evaluations: [string, Evaluation | null][] = [[la, ea.data], [lb, eb.data]];
  const missing = evaluations.filter(([, e]) => !e).map(([l]) => l);
  const roc: XySeries[] = evaluations.filter(([, e]) => e && e.roc?.length)
    .map(([l, e]) => ({ label: `${l} (AUROC ${fmt(e!.auroc)})`, value: e!.auroc, points: e!.roc.map(p => [p.falsePositiveRate, p.truePositiveRate] as [number, number]) }));
  const reliability: XySeries[] = evaluations.filter(([, e]) => e)
    .map(([l, e]) => ({ label: l, dots: true, points: e!.reliability.filter(x => x.count > 0).map(x => [Number(x.meanPredicted), Number(x.observedRate)] as [number, number]) }));
  const diagonal = (text: string): XySeries => ({ label: text, points: [[0, 0], [1, 1]], color: "#8a93a6", dash: true });
  el.replaceChildren(
    h("p", {}, `same parameters: ${fmt(data.sameParameters)}; same training set: ${fmt(data.sameTrainingSet)}; same model: ${fmt(data.sameModel)}`),
    h("div", { class: "row", "data-testid": "compare-charts" },
      h("div", { "data-testid": "roc-chart" }, xyChart("ROC curve (held-out test set)", [...roc, diagonal("chance")], { xLabel: "false positive rate", yLabel: "true positive rate" })),
      h("div", { "data-testid": "reliability-chart" }, xyChart("Reliability diagram (10 bins)", [...reliability, diagonal("perfectly calibrated")], { xLabel: "mean predicted probability", yLabel: "observed frequency" }))),
    h("p", { class: "muted" }, missing.length ? `No held-out evaluation for ${missing.join(", ")} (it did not reach the Evaluate step).` : ""),
    h("p", { class: "muted" }, "ROC: at most 200 exact points of each curve; reliability: each non-empty bin's mean prediction against how often it came true."),
    table(names, [["metric", n => n], ["a", n => data.metrics[n].a], ["b", n => data.metrics[n].b], ["b − a", n => delta(data.metrics[n].difference)]], { "data-testid": "metric-deltas" }));
}

// Signed, but not coloured: higher is better for AUROC and worse for log loss.
const delta = (d: number | null) => d === null ? null : `${d > 0 ? "+" : ""}${fmt(d)}`;

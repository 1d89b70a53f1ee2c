import { get, post, tryGet, Identity, ApiError } from "../api";
import { h, table, card, section, pill, fmt, errorBox, kv } from "../ui";
import { lineChart, seconds } from "../charts";
import * as live from "../live";
import type { Rollout, RolloutStep, Analysis, Measurement, ShadowPair, ExperimentStatus, ExperimentLook } from "../types";

/** The answer to the last action per rollout: kept across the re-renders the live feed causes. */
const answers = new Map<string, { cls: string; text: string }>();

export async function rollouts(main: HTMLElement, me: Identity, id?: string) {
  const list = h("div");
  const detail = h("div", { "data-testid": "rollout-detail" });
  main.replaceChildren(section("Rollouts", card(null, list), detail));

  const load = async () => {
    const all = await get<Rollout[]>("/api/registry/rollouts");
    list.replaceChildren(table(all, [
      ["model", r => h("a", { href: `#/rollouts/${r.rolloutId}` }, r.modelName)],
      ["candidate", r => r.candidateVersion], ["state", r => pill(r.state)],
      ["step", r => `${Math.min(r.currentStep + 1, r.steps.length)} / ${r.steps.length}`], ["weight", r => `${weightOf(r)} %`],
      ["started", r => r.startedAt], ["reason", r => r.reason ?? ""],
    ], { "data-testid": "rollouts-table" }));
    const chosen = all.find(r => r.rolloutId === id) ?? all.find(r => ["Progressing", "Analysing", "Paused"].includes(r.state)) ?? all[0];
    if (chosen) await renderRollout(detail, me, await get<Rollout>(`/api/registry/rollouts/${chosen.rolloutId}`));
    else detail.replaceChildren(card(null, h("p", { class: "muted" }, "No rollout yet: start one with POST /api/registry/rollouts (docs/rollouts.md).")));
  };
  await load();
  live.onTopic("rollouts", load);
}

const weightOf = (r: Rollout) => ["Progressing", "Analysing", "Paused", "Promoting"].includes(r.state) ? r.steps[r.currentStep] ?? 100 : r.state === "Promoted" ? 100 : 0;

async function renderRollout(el: HTMLElement, me: Identity, r: Rollout) {
  const active = ["Progressing", "Analysing", "Paused"].includes(r.state);
  // Once finished the candidate holds all traffic (promoted) or none (rolled back, aborted).
  const weight = weightOf(r);
  const answer = answers.get(r.rolloutId);
  const message = h("p", { "data-testid": "action-message", class: answer?.cls ?? "" }, answer?.text ?? "");
  const reason = h("input", { value: "from the dashboard", size: 40, "aria-label": "reason" }) as HTMLInputElement;
  const act = (action: string) => async () => {
    try {
      await post(`/api/registry/rollouts/${r.rolloutId}/${action}`, { by: me.name, reason: reason.value || "from the dashboard" });
      answers.set(r.rolloutId, { cls: "ok", text: `${action} accepted; the saga will move on shortly` });
    } catch (e) {
      answers.set(r.rolloutId, { cls: "error", text: `${action} refused: ${(e as ApiError).status} ${(e as ApiError).message}` });
    }
    const now = answers.get(r.rolloutId)!;
    message.className = now.cls;
    message.textContent = now.text;
  };
  const canAct = me.can.includes("operate");
  const actions = canAct && active
    ? h("div", { class: "row", "data-testid": "rollout-actions" },
        r.state === "Paused" ? h("button", { "data-action": "approve", onclick: act("approve") }, "Approve") : null,
        h("button", { class: "danger", "data-action": "abort", onclick: act("abort") }, "Abort"),
        h("button", { class: "secondary", "data-action": "promote", onclick: act("promote") }, "Promote now"),
        reason)
    : h("p", { class: "muted" }, canAct ? "No action possible in this state." : "Your key may read only (actions need the operate role).");

  // Every measurement of every analysis over time, against its threshold.
  const byMetric = new Map<string, { t: number; v: number | null; th: number; verdict: string }[]>();
  for (const step of r.stepHistory ?? []) for (const a of step.analyses ?? []) for (const m of a.measurements ?? []) {
    if (!byMetric.has(m.metric)) byMetric.set(m.metric, []);
    byMetric.get(m.metric)!.push({ t: seconds(a.measuredAt), v: m.value, th: m.threshold, verdict: m.verdict });
  }
  const charts = [...byMetric].map(([metric, points]) => lineChart(metric, points.map(p => p.t),
    [{ label: "measured", values: points.map(p => p.v) }, { label: "threshold", values: points.map(p => p.th), color: "#c0392b", dash: true }]));
  const measurements = (r.stepHistory ?? []).flatMap((s: RolloutStep) => (s.analyses ?? []).flatMap((a: Analysis) => (a.measurements ?? []).map((m: Measurement) => ({ step: s.index, traffic: s.trafficPercent, a, m }))));

  el.replaceChildren(
    card(`${r.modelName}: candidate ${r.candidateVersion}`,
      h("div", { class: "row" }, pill(r.state), h("span", { "data-testid": "rollout-state" }, r.state), h("span", { class: "muted" }, r.reason ?? "")),
      h("p", {}, `Step ${Math.min(r.currentStep + 1, r.steps.length)} of ${r.steps.length} (${r.steps.join(" → ")} %); candidate weight ${weight} %, champion ${100 - weight} %`),
      h("div", { class: "bar", title: `candidate ${weight} %` }, h("span", { style: `width:${weight}%` })),
      h("p", { class: "muted" }, `analysis every ${r.analysisInterval}; failures ${r.failures}/${r.failureLimit}; next analysis ${fmt(r.nextAnalysisAt)}`),
      actions, message),
    card("Analysis measurements against thresholds", h("div", { class: "grid", "data-testid": "measurement-charts" }, ...charts),
      table(measurements, [["step", x => `${x.step + 1} (${x.traffic} %)`], ["analysis", x => x.a.number], ["at", x => x.a.measuredAt], ["metric", x => x.m.metric],
        ["value", x => x.m.value], ["threshold", x => x.m.threshold], ["verdict", x => pill(x.m.verdict)], ["evidence", x => x.m.evidence]], { "data-testid": "measurements" })),
    card("Steps", table(r.stepHistory ?? [], [["step", s => s.index + 1], ["traffic", s => `${s.trafficPercent} %`], ["started", s => s.startedAt], ["finished", s => s.finishedAt], ["outcome", s => s.outcome ?? "running"]])),
    card("Actions taken", table(r.actions ?? [], [["action", a => a.action], ["by", a => a.by], ["reason", a => a.reason], ["at", a => a.at]])),
    card("Shadow comparison", await shadow(r.modelName)),
    card("A/B experiments", await experiments(r.modelName, me)));
}

async function shadow(model: string) {
  const { data, error } = await tryGet<{ pairs: ShadowPair[] | null }>(`/api/gateway/shadow/${encodeURIComponent(model)}`);
  if (error) return h("p", { class: "muted" }, error.status === 404 ? "No shadow comparison for this model on this gateway replica." : error.message);
  return h("div", {}, table(data?.pairs ?? [], [["serving", p => `${p.primaryVariant} ${p.primaryVersion}`], ["shadow", p => p.shadowVersion],
    ["pairs", p => p.predictions], ["agreement", p => p.agreement], ["mean |Δp|", p => p.meanAbsoluteDifference], ["p99 |Δp|", p => p.p99AbsoluteDifference]], { "data-testid": "shadow" }));
}

async function experiments(model: string, me: Identity) {
  const { data, error } = await tryGet<ExperimentStatus[]>("/api/gateway/experiments");
  if (error) return errorBox(error);
  const mine = (data ?? []).filter(e => e.modelName === model);
  if (!mine.length) return h("p", { class: "muted" }, "No A/B experiment on this model.");
  return h("div", {}, ...await Promise.all(mine.map(async e => {
    const looks = await tryGet<ExperimentLook[]>(`/api/gateway/experiments/${e.id}/looks`);
    const state = e.stopped ? `stopped ${fmt(e.stopped.at)} by ${e.stopped.by} (${e.stopped.reason}); at the stop: ` : "";
    return h("div", { "data-testid": "experiment", "data-experiment": e.name }, h("p", {}, `${e.name}: ${state}${e.decision} — ${e.reason}`),
      !e.stopped && me.can.includes("operate") ? stopControl(e) : null,
      table(e.arms, [["arm", a => a.name], ["variant", a => a.variant], ["n", a => a.n], ["successes", a => a.successes], ["rate", a => a.rate],
        ["difference", a => a.difference], ["always-valid p", a => a.pValue], ["CI", a => a.confidenceLower === null ? "—" : `${fmt(a.confidenceLower)} … ${fmt(a.confidenceUpper)}`]]),
      looks.error ? errorBox(looks.error) : pValueChart(e, looks.data ?? []));
  })));
}

/** Stops an experiment (its counts freeze) with the operator's reason; the live feed re-renders the page afterwards. */
function stopControl(e: ExperimentStatus) {
  const reason = h("input", { value: `decision reached: ${e.decision}`, size: 40, "aria-label": "reason to stop" }) as HTMLInputElement;
  const message = h("span", { "data-testid": "experiment-stop-message" });
  const stop = async () => {
    try {
      await post(`/api/gateway/experiments/${e.id}/stop`, { reason: reason.value });
      message.className = "ok";
      message.textContent = "stopped: its counts are final";
    } catch (err) {
      message.className = "error";
      message.textContent = `stop refused: ${(err as ApiError).status} ${(err as ApiError).message}`;
    }
  };
  return h("div", { class: "row" }, h("button", { class: "danger", "data-action": "stop-experiment", onclick: stop }, "Stop experiment"), reason, message);
}

/**
 * Each treatment arm's always-valid p-value (the running minimum, what the decision uses) at every look, with that
 * look's own mSPRT value dashed and α: the experiment may stop the first time the solid line crosses α.
 */
function pValueChart(e: ExperimentStatus, looks: ExperimentLook[]) {
  // Fractional seconds: looks a moment apart stay in order on the time axis.
  const x = looks.map(l => new Date(l.at).getTime() / 1000);
  const treatments = e.arms.slice(1).map(a => a.name);
  const arm = (l: ExperimentLook, name: string) => l.arms.find(a => a.name === name);
  return h("div", { "data-testid": "p-value-chart" },
    lineChart(`always-valid p-value over ${looks.length} looks`, x, [
      ...treatments.map(name => ({ label: `${name} (always-valid)`, values: looks.map(l => arm(l, name)?.minPValue ?? null) })),
      ...treatments.map(name => ({ label: `${name} (this look)`, values: looks.map(l => arm(l, name)?.pValue ?? null), dash: true })),
      { label: `α = ${e.alpha}`, values: looks.map(() => e.alpha), color: "#c0392b", dash: true }], { yLabel: "p" }),
    h("p", { class: "muted" }, looks.length ? `looks ${looks[0].look}–${looks[looks.length - 1].look}; last: ${treatments.map(n => `${n} n=${arm(looks[looks.length - 1], n)?.trials ?? 0}`).join(", ")}` : "No look yet: no outcome counted."));
}

export { kv };

import { get, post, tryGet, Identity, ApiError } from "../api";
import { h, table, card, section, pill, errorBox } from "../ui";
import * as live from "../live";
import type { DeadLetterEntry, DeadLetterReplay, RetrainingView } from "../types";

export async function sagas(main: HTMLElement, me: Identity) {
  const [rollouts, runs, retraining] = await Promise.all([
    tryGet<any[]>("/api/registry/rollouts"), tryGet<any[]>("/api/training/runs?limit=50"), tryGet<RetrainingView[]>("/api/monitoring/retraining")]);
  const deadLetters = h("div", { "data-testid": "deadletters-live" });
  const inspect = h("div", { "data-testid": "deadletter-detail" });
  const canReplay = me.can.includes("operate");
  // note: the answer to the replay just made, shown under the dead letter read again (its replays now include it).
  const show = async (id: string, note?: { cls: string; text: string }) => {
    const { data, error } = await tryGet(`/api/ingestion/deadletters/${encodeURIComponent(id)}`);
    if (error) return inspect.replaceChildren(errorBox(error));
    const message = h("p", { class: note?.cls ?? "" }, note?.text ?? "");
    const reason = h("input", { value: "", placeholder: "why replay", size: 40, "aria-label": "replay reason" }) as HTMLInputElement;
    inspect.replaceChildren(card(`Dead letter ${id}`, h("pre", {}, JSON.stringify(data, null, 2)),
      canReplay ? h("div", { class: "row" }, reason, h("button", { "data-action": "replay", onclick: async () => {
        try { await post(`/api/ingestion/deadletters/${encodeURIComponent(id)}/replay`, { by: me.name, reason: reason.value }); await Promise.all([show(id, { cls: "ok", text: "replayed" }), loadDead()]); }
        catch (e) { message.className = "error"; message.textContent = `${(e as ApiError).status} ${(e as ApiError).message}`; }
      } }, "Replay")) : null, message));
  };
  // Dead letters and replays reload on their own when the live feed says the dead-letter topic grew (or after a replay).
  const loadDead = async () => {
    const [dead, replays] = await Promise.all([
      tryGet<DeadLetterEntry[]>("/api/ingestion/deadletters?limit=100"), tryGet<DeadLetterReplay[]>("/api/ingestion/deadletters/replays?limit=50")]);
    deadLetters.dataset.loadedAt = new Date().toISOString();
    deadLetters.replaceChildren(
      card(`Dead letters (${dead.data?.length ?? "?"}, newest first)`, dead.error ? errorBox(dead.error) : table(dead.data!, [
        // No javascript: URL (the page's CSP refuses to run one and logs a violation): the click is handled here.
        ["id", d => h("a", { href: "#/sagas", onclick: (e: Event) => { e.preventDefault(); void show(d.id); } }, d.id)],
        ["topic", d => d.record.originalTopic], ["group", d => d.record.consumerGroup], ["kind", d => d.record.failureKind], ["reason", d => d.record.reason],
        ["at", d => d.deadLetteredAt], ["replays", d => d.replays.length]], { "data-testid": "deadletters" }), inspect),
      card("Replays", replays.error ? errorBox(replays.error) : table(replays.data!, [["at", r => r.requestedAt], ["id", r => r.deadLetterId], ["by", r => r.replayedBy],
        ["reason", r => r.reason], ["to", r => `${r.targetTopic} @ ${r.publishedOffset ?? "—"}`]], { "data-testid": "replays" })));
  };
  main.replaceChildren(section("Sagas and dead letters",
    card("Rollout sagas", rollouts.error ? errorBox(rollouts.error) : table(rollouts.data!, [["rollout", r => h("a", { href: `#/rollouts/${r.rolloutId}` }, r.rolloutId.slice(0, 8))], ["model", r => r.modelName],
      ["candidate", r => r.candidateVersion], ["state", r => pill(r.state)], ["history", r => (r.stepHistory ?? []).map((s: any) => `${s.trafficPercent} %: ${s.outcome ?? "running"}`).join(" → ")], ["started", r => r.startedAt]], { "data-testid": "rollout-sagas" })),
    card("Training pipeline sagas", runs.error ? errorBox(runs.error) : table(runs.data!, [["run", r => h("a", { href: `#/runs/${r.runId}` }, r.runId.slice(0, 8))], ["model", r => r.modelName],
      ["status", r => pill(r.status)], ["step", r => r.currentStep ?? r.failedStep ?? ""], ["started", r => r.startedAt]], { "data-testid": "training-sagas" })),
    // Every retraining request: a debounced one has no saga (no state, no steps), only why it was not started.
    card("Retraining sagas", retraining.error ? errorBox(retraining.error) : table(retraining.data!, [["id", r => r.id.slice(0, 8)], ["model", r => r.modelName], ["trigger", r => r.trigger],
      ["status", r => r.status], ["state", r => r.state ? pill(r.state) : "—"], ["outcome", r => r.outcome ? `${r.outcome}${r.outcomeReason ? `: ${r.outcomeReason}` : ""}` : r.debounceReason ?? ""],
      ["versions", r => r.candidateVersion ? `${r.championVersion ?? "—"} → ${r.candidateVersion}` : r.championVersion ?? ""],
      ["steps", r => r.steps.map(s => `${s.step}: ${s.outcome ?? "running"}`).join(" → ")],
      ["rollout", r => r.rolloutId ? h("a", { href: `#/rollouts/${r.rolloutId}` }, r.rolloutId.slice(0, 8)) : ""], ["requested", r => r.requestedAt]],
      { "data-testid": "retraining-sagas" }, r => ({ "data-retraining": r.id }))),
    deadLetters));
  await loadDead();
  live.onTopic("rollouts", () => sagas(main, me));
  live.onTopic("retraining", () => sagas(main, me));
  live.onTopic("deadletters", loadDead);
}

import { get, post, tryGet, Identity, ApiError } from "../api";
import { h, table, card, section, pill, errorBox } from "../ui";
import * as live from "../live";

export async function sagas(main: HTMLElement, me: Identity) {
  const [rollouts, runs, retraining, dead, replays] = await Promise.all([
    tryGet<any[]>("/api/registry/rollouts"), tryGet<any[]>("/api/training/runs?limit=50"), tryGet<any[]>("/api/monitoring/retraining"),
    tryGet<any[]>("/api/ingestion/deadletters?limit=100"), tryGet<any[]>("/api/ingestion/deadletters/replays?limit=50")]);
  const inspect = h("div", { "data-testid": "deadletter-detail" });
  const canReplay = me.can.includes("operate");
  const show = async (id: string) => {
    const { data, error } = await tryGet(`/api/ingestion/deadletters/${encodeURIComponent(id)}`);
    if (error) return inspect.replaceChildren(errorBox(error));
    const message = h("p", {});
    const reason = h("input", { value: "", placeholder: "why replay", size: 40, "aria-label": "replay reason" }) as HTMLInputElement;
    inspect.replaceChildren(card(`Dead letter ${id}`, h("pre", {}, JSON.stringify(data, null, 2)),
      canReplay ? h("div", { class: "row" }, reason, h("button", { "data-action": "replay", onclick: async () => {
        try { await post(`/api/ingestion/deadletters/${encodeURIComponent(id)}/replay`, { by: me.name, reason: reason.value }); message.className = "ok"; message.textContent = "replayed"; }
        catch (e) { message.className = "error"; message.textContent = `${(e as ApiError).status} ${(e as ApiError).message}`; }
      } }, "Replay")) : null, message));
  };
  const idOf = (d: any) => d.id ?? d.deadLetterId;
  main.replaceChildren(section("Sagas and dead letters",
    card("Rollout sagas", rollouts.error ? errorBox(rollouts.error) : table(rollouts.data!, [["rollout", r => h("a", { href: `#/rollouts/${r.rolloutId}` }, r.rolloutId.slice(0, 8))], ["model", r => r.modelName],
      ["candidate", r => r.candidateVersion], ["state", r => pill(r.state)], ["history", r => (r.stepHistory ?? []).map((s: any) => `${s.trafficPercent} %: ${s.outcome ?? "running"}`).join(" → ")], ["started", r => r.startedAt]], { "data-testid": "rollout-sagas" })),
    card("Training pipeline sagas", runs.error ? errorBox(runs.error) : table(runs.data!, [["run", r => h("a", { href: `#/runs/${r.runId}` }, r.runId.slice(0, 8))], ["model", r => r.modelName],
      ["status", r => pill(r.status)], ["step", r => r.currentStep ?? r.failedStep ?? ""], ["started", r => r.startedAt]], { "data-testid": "training-sagas" })),
    card("Retraining sagas", retraining.error ? errorBox(retraining.error) : table(retraining.data!, [["id", r => r.id.slice(0, 8)], ["model", r => r.modelName], ["trigger", r => r.trigger],
      ["status", r => r.status], ["state", r => pill(r.state ?? r.status)], ["outcome", r => r.outcome ?? ""], ["steps", r => (r.steps ?? []).map((s: any) => s.step ?? s.name).join(" → ")], ["requested", r => r.requestedAt]], { "data-testid": "retraining-sagas" })),
    card("Dead letters", dead.error ? errorBox(dead.error) : table(dead.data!, [["id", d => h("a", { href: "javascript:void 0", onclick: () => show(idOf(d)) }, String(idOf(d)))],
      ["topic", d => d.topic ?? d.sourceTopic], ["group", d => d.group ?? d.consumerGroup], ["kind", d => d.kind], ["reason", d => d.reason], ["at", d => d.deadLetteredAt ?? d.at ?? d.timestamp]], { "data-testid": "deadletters" }), inspect),
    card("Replays", replays.error ? errorBox(replays.error) : table(replays.data!, [["at", r => r.replayedAt ?? r.at], ["id", r => r.deadLetterId ?? r.id], ["by", r => r.by ?? r.replayedBy], ["reason", r => r.reason]]))));
  live.onTopic("rollouts", () => sagas(main, me));
  live.onTopic("retraining", () => sagas(main, me));
}

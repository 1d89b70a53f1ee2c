// The gateway's Server-Sent Events feed: one 'snapshot' per poll; a watched list whose version moved is announced to its listeners.
type Listener = (snapshot: any) => void;

const topicListeners = new Map<string, Set<Listener>>();
const snapshotListeners = new Set<Listener>();
let versions: Record<string, number> = {};
let source: EventSource | null = null;
export let latest: any = null;

export function start(indicator: HTMLElement) {
  source?.close();
  source = new EventSource("/api/gateway/dashboard/events");
  source.addEventListener("open", () => { indicator.className = "live on"; indicator.title = "live: connected"; });
  source.addEventListener("error", () => { indicator.className = "live off"; indicator.title = "live: reconnecting"; });
  source.addEventListener("snapshot", (e: MessageEvent) => {
    const snapshot = JSON.parse(e.data);
    latest = snapshot;
    const moved = Object.entries(snapshot.topics ?? {}).filter(([t, v]) => versions[t] !== undefined && versions[t] !== v).map(([t]) => t);
    versions = { ...snapshot.topics };
    snapshotListeners.forEach(l => l(snapshot));
    for (const t of moved) topicListeners.get(t)?.forEach(l => l(snapshot));
  });
}

export function stop() { source?.close(); source = null; }

/** Listeners live until the page changes (clear()). */
export function onTopic(topic: string, listener: Listener) {
  if (!topicListeners.has(topic)) topicListeners.set(topic, new Set());
  topicListeners.get(topic)!.add(listener);
}
export function onSnapshot(listener: Listener) { snapshotListeners.add(listener); }
export function clear() { topicListeners.clear(); snapshotListeners.clear(); }

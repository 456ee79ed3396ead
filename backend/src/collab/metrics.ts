import client from 'prom-client';

export interface CollabMetrics {
  update(): void;
}

/** Open documents, connections and updates (a counter for rate(), and the rate over the last 10 s as a gauge). */
export function collabMetrics(
  registry: client.Registry,
  state: { documents(): number; connections(): number },
): CollabMetrics {
  new client.Gauge({
    name: 'rocqet_collab_open_documents',
    help: 'Draft documents held open by this process',
    registers: [registry],
    collect() {
      this.set(state.documents());
    },
  });
  new client.Gauge({
    name: 'rocqet_collab_connections',
    help: 'Open collab websocket connections on this process',
    registers: [registry],
    collect() {
      this.set(state.connections());
    },
  });
  const total = new client.Counter({
    name: 'rocqet_collab_updates_total',
    help: 'Yjs updates applied to open drafts (from clients, the server and other processes)',
    registers: [registry],
  });
  const WINDOW_S = 10;
  const buckets = new Array<number>(WINDOW_S).fill(0);
  let bucketSecond = Math.floor(Date.now() / 1000);
  const advance = () => {
    const now = Math.floor(Date.now() / 1000);
    for (let s = bucketSecond + 1; s <= Math.min(now, bucketSecond + WINDOW_S); s++) buckets[s % WINDOW_S] = 0;
    bucketSecond = now;
  };
  new client.Gauge({
    name: 'rocqet_collab_updates_per_second',
    help: 'Yjs updates per second over the last 10 seconds',
    registers: [registry],
    collect() {
      advance();
      this.set(buckets.reduce((a, b) => a + b, 0) / WINDOW_S);
    },
  });
  return {
    update() {
      advance();
      buckets[bucketSecond % WINDOW_S]! += 1;
      total.inc();
    },
  };
}

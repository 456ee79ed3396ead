import pg from 'pg';

let sink: string[] | undefined;
let installed = false;

type QueryFn = (this: pg.Client, ...args: unknown[]) => unknown;

/**
 * Lets `captureSql` see the statement texts every pg client of this process sends. Install it before the backend
 * starts: the backend's pool binds `client.query` when a client connects, so later patches would not be seen.
 * Outside a capture it costs one check per query.
 */
export function installSqlCapture(): void {
  if (installed) return;
  installed = true;
  const proto = pg.Client.prototype as unknown as { query: QueryFn };
  const original = proto.query;
  proto.query = function (this: pg.Client, ...args: unknown[]) {
    if (sink) {
      const first = args[0];
      const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
      if (typeof text === 'string') sink.push(text);
    }
    return original.apply(this, args);
  };
}

/** The statements issued while `fn` runs (nothing else may query meanwhile). */
export async function captureSql(fn: () => Promise<unknown>): Promise<string[]> {
  if (!installed) throw new Error('installSqlCapture() first');
  const seen: string[] = [];
  sink = seen;
  try {
    await fn();
    // Let fire-and-forget statements started by `fn` reach the driver too.
    await new Promise((resolve) => setTimeout(resolve, 50));
    return seen;
  } finally {
    sink = undefined;
  }
}

/** Whitespace-insensitive form of a statement, to compare texts. */
export const normalizeSql = (sql: string): string => sql.replace(/\s+/g, ' ').trim();

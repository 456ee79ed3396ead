import { routes, type RouteDef, type RouteId, type RouteInput, type RouteOutput, type Routes } from './contract/index.js';
import { streamingRouteIds, type StreamingRouteId } from './contract/events.js';
import { problemError, RocqetError } from './errors.js';
import { subscribeEvents, type SubscribeOptions, type Subscription } from './feed/subscribe.js';
import type { RunStreamEvent } from './contract/runs.js';
import { runPaths, streamEvents, type StreamCompareInput, type StreamRunInput } from './runs/stream.js';

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  userAgent?: string;
  /** Milliseconds before a request is abandoned; default 30 s. */
  timeoutMs?: number;
}

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

type Args<D> = object extends RouteInput<D> ? [input?: RouteInput<D>] : [input: RouteInput<D>];

/** Routes called as request and response (the feed streams, and has `events.subscribe` instead). */
export type CallableRouteId = Exclude<RouteId, StreamingRouteId>;

export type Client = {
  [K in CallableRouteId]: (...args: Args<Routes[K]>) => Promise<RouteOutput<Routes[K]>>;
} & {
  /** The same call, with status and headers (ETag, RateLimit-*) kept. */
  raw<K extends CallableRouteId>(id: K, ...args: Args<Routes[K]>): Promise<RawResponse<RouteOutput<Routes[K]>>>;
  /** The change feed (`GET /v1/events`), followed across disconnects. */
  events: { subscribe(options: SubscribeOptions): Subscription };
  /** Runs as they happen: tokens, attempts, and the logged run at the end (`runPrompt`/`compareRuns` answer once). */
  runs: {
    stream(input: StreamRunInput): AsyncGenerator<RunStreamEvent>;
    compare(input: StreamCompareInput): AsyncGenerator<RunStreamEvent>;
  };
  readonly baseUrl: string;
};

export function createClient(options: ClientOptions): Client {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const transport = { baseUrl, token: options.token, fetch: doFetch, userAgent: options.userAgent };

  async function call(def: RouteDef, input: Record<string, unknown> = {}): Promise<RawResponse<unknown>> {
    const url = new URL(baseUrl + buildPath(def.path, input.params as Record<string, unknown> | undefined));
    appendQuery(url, input.query as Record<string, unknown> | undefined);
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json, */*' };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.userAgent) headers['user-agent'] = options.userAgent;
    Object.assign(headers, input.headers as Record<string, string> | undefined);
    let body: string | undefined;
    if (input.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(input.body);
    }
    let res: Response;
    try {
      res = await doFetch(url, {
        method: def.method,
        headers,
        body,
        signal: AbortSignal.timeout(Math.max(options.timeoutMs ?? 30_000, def.timeoutMs ?? 0)),
      });
    } catch (err) {
      throw new RocqetError('network_error', 0, `cannot reach ${baseUrl}: ${(err as Error).message}`);
    }
    if (res.status === 304) return { status: 304, headers: res.headers, data: undefined };
    if (!res.ok) throw await problemError(res);
    if (res.status === 204) return { status: 204, headers: res.headers, data: undefined };
    const type = res.headers.get('content-type') ?? '';
    const data = type.includes('json') ? await res.json() : await res.text();
    return { status: res.status, headers: res.headers, data };
  }

  const client: Record<string, unknown> = {
    baseUrl,
    raw: (id: RouteId, input?: Record<string, unknown>) => call(routes[id] as RouteDef, input),
    events: {
      subscribe: (opts: SubscribeOptions) =>
        subscribeEvents({ baseUrl, token: options.token, fetch: doFetch, userAgent: options.userAgent }, opts),
    },
    runs: {
      stream: (input: StreamRunInput) =>
        streamEvents(transport, runPaths(input.params.prompt).run, { ...input.body, stream: true }, input.signal),
      compare: (input: StreamCompareInput) =>
        streamEvents(transport, runPaths(input.params.prompt).compare, { ...input.body, stream: true }, input.signal),
    },
  };
  for (const [id, def] of Object.entries(routes)) {
    if ((streamingRouteIds as readonly string[]).includes(id)) continue;
    client[id] = async (input?: Record<string, unknown>) => (await call(def as RouteDef, input)).data;
  }
  return client as Client;
}

function buildPath(template: string, params: Record<string, unknown> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null) throw new TypeError(`missing path parameter "${name}"`);
    return encodeURIComponent(String(value));
  });
}

function appendQuery(url: URL, query: Record<string, unknown> = {}): void {
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(v));
  }
}

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmbeddingApiError, OpenAIEmbedder, type OpenAIEmbedderOptions } from '../../src/search/embedder/index.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { model?: string; input?: string[]; dimensions?: number; encoding_format?: string; [k: string]: unknown };
  at: number;
}

type Reply = (req: Received, res: ServerResponse) => void;

// Texts are "t<n>"; the stand-in answers [n, 1, 0, …] unnormalised so tests can read back which input a vector
// belongs to (v[0] / v[1] === n) and see that the client normalised it.
function embeddingFor(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  v[0] = Number(text.slice(1));
  v[1] = 1;
  return v;
}

const ok =
  (opts: { reverse?: boolean } = {}): Reply =>
  (req, res) => {
    const input = req.body.input ?? [];
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: embeddingFor(text, req.body.dimensions ?? 1536) }));
    if (opts.reverse) data.reverse();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data, model: req.body.model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
  };

const fail =
  (status: number, message: string, headers: Record<string, string> = {}): Reply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { message, type: 'test_error', code: null } }));
  };

/** A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings wire format, scripted per request. */
class StandIn {
  readonly received: Received[] = [];
  readonly #script: Reply[] = [];
  readonly #server: Server;
  #fallback: Reply = ok();

  constructor() {
    this.#server = createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const received: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: raw ? JSON.parse(raw) : {}, at: performance.now() };
        this.received.push(received);
        (this.#script.shift() ?? this.#fallback)(received, res);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
  }

  then(...replies: Reply[]): this {
    this.#script.push(...replies);
    return this;
  }

  otherwise(reply: Reply): this {
    this.#fallback = reply;
    return this;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

const texts = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `t${from + i}`);

function assertBelongTo(vectors: Float32Array[], inputs: string[]): void {
  assert.equal(vectors.length, inputs.length);
  vectors.forEach((v, i) => {
    const n = Number((inputs[i] as string).slice(1));
    assert.ok(Math.abs((v[0] as number) / (v[1] as number) - n) < 1e-3, `vector ${i} reads ${(v[0] as number) / (v[1] as number)}, expected ${n}`);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5, `vector ${i} is not unit length`);
  });
}

describe('embedder: OpenAI-compatible (against a local stand-in server)', () => {
  let server: StandIn;
  let baseUrl: string;
  const embedder = (options: Partial<OpenAIEmbedderOptions> = {}): OpenAIEmbedder =>
    new OpenAIEmbedder({ baseUrl, apiKey: 'sk-test-123', model: 'text-embedding-3-small', dimensions: 8, retryBaseMs: 1, ...options });

  beforeEach(async () => {
    server = new StandIn();
    baseUrl = await server.start();
  });
  afterEach(() => server.stop());

  it('posts the OpenAI wire format and returns normalised vectors in input order', async () => {
    const e = embedder();
    assert.equal(e.model, 'openai:text-embedding-3-small@8');
    assert.equal(e.dimensions, 8);
    const vectors = await e.embed(['t3', 't1', 't2']);
    assertBelongTo(vectors, ['t3', 't1', 't2']);
    assert.equal(server.received.length, 1);
    const [req] = server.received;
    assert.ok(req);
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/v1/embeddings');
    assert.equal(req.headers.authorization, 'Bearer sk-test-123');
    assert.match(req.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(req.body, { model: 'text-embedding-3-small', input: ['t3', 't1', 't2'], dimensions: 8, encoding_format: 'float' });
  });

  it('omits dimensions when not configured and uses the model default', async () => {
    const e = embedder({ dimensions: undefined, baseUrl: `${baseUrl}/` });
    assert.equal(e.dimensions, 1536);
    assert.equal(e.model, 'openai:text-embedding-3-small@1536');
    assertBelongTo(await e.embed(['t5']), ['t5']);
    assert.equal(server.received[0]?.url, '/v1/embeddings');
    assert.equal('dimensions' in (server.received[0]?.body ?? {}), false);
  });

  it('refuses an unknown model without dimensions', () => {
    assert.throws(() => embedder({ model: 'some-local-model', dimensions: undefined }), /unknown dimensions for model "some-local-model"; set dimensions/);
  });

  it('splits 250 inputs into requests of 100, 100 and 50, keeping the order', async () => {
    const inputs = texts(250);
    const vectors = await embedder({ batchSize: 100 }).embed(inputs);
    assert.deepEqual(server.received.map((r) => r.body.input?.length), [100, 100, 50]);
    assert.deepEqual(server.received.flatMap((r) => r.body.input), inputs);
    assertBelongTo(vectors, inputs);
  });

  it('batches 96 inputs per request by default', async () => {
    await embedder().embed(texts(100));
    assert.deepEqual(server.received.map((r) => r.body.input?.length), [96, 4]);
  });

  it('orders results by data[].index, not by position in the response', async () => {
    server.otherwise(ok({ reverse: true }));
    const inputs = texts(5, 10);
    assertBelongTo(await embedder().embed(inputs), inputs);
  });

  it('retries once after a 429, waiting as long as Retry-After says', async () => {
    server.then(fail(429, 'Rate limit reached', { 'retry-after': '1' }));
    const vectors = await embedder().embed(['t7']);
    assertBelongTo(vectors, ['t7']);
    assert.equal(server.received.length, 2);
    assert.deepEqual(server.received[1]?.body, server.received[0]?.body);
    // retryBaseMs is 1, so only Retry-After can account for a wait of about a second.
    const gap = (server.received[1]?.at ?? 0) - (server.received[0]?.at ?? 0);
    assert.ok(gap >= 950, `retried after ${gap.toFixed(0)} ms`);
  });

  it('honours retry-after-ms', async () => {
    server.then(fail(429, 'slow down', { 'retry-after-ms': '300' }));
    await embedder().embed(['t1']);
    const gap = (server.received[1]?.at ?? 0) - (server.received[0]?.at ?? 0);
    assert.ok(gap >= 290, `retried after ${gap.toFixed(0)} ms`);
  });

  it('retries after a 500 and succeeds', async () => {
    server.then(fail(500, 'The server had an error'));
    assertBelongTo(await embedder().embed(['t2', 't4']), ['t2', 't4']);
    assert.equal(server.received.length, 2);
  });

  it('gives up after maxRetries with the last status and message', async () => {
    server.otherwise(fail(503, 'overloaded'));
    await assert.rejects(embedder({ maxRetries: 2 }).embed(['t1']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingApiError);
      assert.equal(error.status, 503);
      assert.match(error.message, /503 Service Unavailable: overloaded \(gave up after 3 attempts\)/);
      return true;
    });
    assert.equal(server.received.length, 3);
  });

  it('fails a 401 at once with the status and the API message', async () => {
    server.otherwise(fail(401, 'Incorrect API key provided: sk-test***123.'));
    await assert.rejects(embedder().embed(['t1']), (error: unknown) => {
      assert.ok(error instanceof EmbeddingApiError);
      assert.equal(error.status, 401);
      assert.match(error.message, /401 Unauthorized: Incorrect API key provided/);
      return true;
    });
    assert.equal(server.received.length, 1);
  });

  it('reports a 400 with a non-JSON body by its text', async () => {
    server.otherwise((_req, res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('input too long');
    });
    await assert.rejects(embedder().embed(['t1']), /400 Bad Request: input too long/);
    assert.equal(server.received.length, 1);
  });

  it('times out a request that gets no answer', async () => {
    server.otherwise(() => {
      // never answers
    });
    await assert.rejects(embedder({ timeoutMs: 200, maxRetries: 1 }).embed(['t1']), /timed out after 200 ms \(gave up after 2 attempts\)/);
    assert.equal(server.received.length, 2);
  });

  it('rejects a response with the wrong dimensions or a missing item', async () => {
    server.then((req, res) => ok()({ ...req, body: { ...req.body, dimensions: 4 } }, res));
    await assert.rejects(embedder().embed(['t1']), /has 4 dimensions, expected 8/);
    server.then((req, res) => ok()({ ...req, body: { ...req.body, input: req.body.input?.slice(1) } }, res));
    await assert.rejects(embedder().embed(['t1', 't2']), /lacks item 1 of 2/);
  });

  it('sends nothing for no texts, and a space for an empty one', async () => {
    const e = embedder();
    assert.deepEqual(await e.embed([]), []);
    assert.equal(server.received.length, 0);
    server.otherwise((req, res) => ok()({ ...req, body: { ...req.body, input: ['t0'] } }, res));
    await e.embed(['']);
    assert.deepEqual(server.received[0]?.body.input, [' ']);
  });

  it('stops waiting on close', async () => {
    server.otherwise(fail(429, 'busy', { 'retry-after': '30' }));
    const e = embedder();
    const pending = assert.rejects(e.embed(['t1']), /closed/);
    while (server.received.length === 0) await new Promise((r) => setTimeout(r, 5));
    await e.close();
    await pending;
    await assert.rejects(e.embed(['t1']), /closed/);
  });
});

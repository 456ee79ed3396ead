import assert from 'node:assert/strict';
import net from 'node:net';
import { startTestApp, type TestApp } from '../support/app.js';

/** Sends raw bytes and returns the whole answer: these requests never reach Express. */
function raw(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('requests Node refuses before routing', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app?.close());

  it('headers over 16 KB → 431 problem+json headers_too_large', async () => {
    const answer = await raw(app.url, `GET /v1/folders HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.match(answer, /content-type: application\/problem\+json/i);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string; status: number };
    assert.equal(body.code, 'headers_too_large');
    assert.equal(body.status, 431);
  });

  it('a request that is not HTTP → 400 problem+json validation_failed', async () => {
    const answer = await raw(app.url, 'HELLO THERE\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { code: string };
    assert.equal(body.code, 'validation_failed');
  });
});

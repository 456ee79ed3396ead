import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSseParser, type SseEvent } from '../src/feed/sse.js';

function parse(chunks: string[]): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const p = createSseParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) });
  for (const c of chunks) p.push(c);
  p.end();
  return { events, retries };
}

describe('SSE parser', () => {
  it('joins multi-line data, takes id and event, skips comments, reads retry', () => {
    const { events, retries } = parse([': hello\nretry: 1500\nid: 7\nevent: prompt.commit\ndata: {"a":\ndata:  1}\n\n']);
    assert.deepEqual(events, [{ id: '7', event: 'prompt.commit', data: '{"a":\n 1}' }]);
    assert.deepEqual(retries, [1500]);
  });

  it('ends lines with LF, CRLF or CR alike, also when a CRLF is split between chunks', () => {
    const body = 'id: 1\r\ndata: x\r\n\r\nid: 2\rdata: y\r\rid: 3\ndata: z\n\n';
    const expected = [
      { id: '1', event: 'message', data: 'x' },
      { id: '2', event: 'message', data: 'y' },
      { id: '3', event: 'message', data: 'z' },
    ];
    assert.deepEqual(parse([body]).events, expected);
    // every split of the stream into two chunks, and byte-by-byte
    for (let i = 0; i <= body.length; i++) assert.deepEqual(parse([body.slice(0, i), body.slice(i)]).events, expected, `split at ${i}`);
    assert.deepEqual(parse([...body]).events, expected);
  });

  it('keeps the last id for events without one, ignores ids with NUL and events without data, drops a torn last event', () => {
    const { events } = parse(['\ufeffid: 5\ndata: a\n\ndata: b\n\nid: 6\n\nid: x\u0000y\ndata: c\n\ndata: torn']);
    assert.deepEqual(events, [
      { id: '5', event: 'message', data: 'a' },
      { id: '5', event: 'message', data: 'b' },
      { id: '6', event: 'message', data: 'c' },
    ]);
  });

  it('field without a colon, and a value without its optional space', () => {
    assert.deepEqual(parse(['data\ndata:x\nevent:e\n\n']).events, [{ id: undefined, event: 'e', data: '\nx' }]);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const line = fc.constantFrom('data: α', 'data: {"k":1}', 'id: 9', 'event: tag.move', ': ping', 'retry: 5', '', 'data');
    const eol = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(fc.array(fc.tuple(line, eol), { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, cuts) => {
        const body = lines.map(([l, e]) => l + e).join('');
        const points = cuts.map((c) => c % (body.length + 1)).sort((a, b) => a - b); // repeats: empty chunks
        const chunks: string[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(body.slice(at, p));
          at = p;
        }
        chunks.push(body.slice(at));
        assert.deepEqual(parse(chunks), parse([body]));
      }),
    );
  });
});

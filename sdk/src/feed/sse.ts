/** One Server-Sent Event as the HTML standard's parser dispatches it. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** A `retry:` field: the server's reconnection delay in milliseconds. */
  onRetry?(ms: number): void;
  /** Any line, comments included (a heartbeat shows the stream is alive). */
  onActivity?(): void;
}

/**
 * An incremental `text/event-stream` parser (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines
 * end in LF, CRLF or CR (a CRLF split across chunks included), `data:` lines join with LF, a `:` line is a comment,
 * a blank line dispatches, an id with a NUL is ignored, and an event with no data is not dispatched.
 */
export function createSseParser(handlers: SseHandlers): { push(chunk: string): void; end(): void } {
  let buffer = '';
  let pendingCr = false;
  let first = true;
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  let lastId: string | undefined;

  const line = (text: string) => {
    handlers.onActivity?.();
    if (text === '') {
      if (id !== undefined) lastId = id;
      if (data.length) handlers.onEvent({ id: lastId, event: event || 'message', data: data.join('\n') });
      data = [];
      event = '';
      id = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    else if (field === 'id') {
      if (!value.includes('\0')) id = value;
    } else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  };

  return {
    push(chunk: string) {
      if (chunk === '') return;
      if (first) {
        if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
        first = false;
      }
      if (pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
      pendingCr = false;
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const c = buffer.charCodeAt(i);
        if (c !== 10 && c !== 13) continue;
        line(buffer.slice(start, i));
        if (c === 13) {
          if (i + 1 === buffer.length) pendingCr = true;
          else if (buffer.charCodeAt(i + 1) === 10) i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    /** The stream ended: an event without its blank line is incomplete and dropped, as the standard says. */
    end() {
      buffer = '';
      data = [];
      event = '';
      id = undefined;
    },
  };
}

/**
 * A response body as text, chunk by chunk as it arrives (a character split across chunks is held until it is
 * whole). Leaving the loop early cancels the body.
 */
export async function* textChunks(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield decoder.decode(value, { stream: true });
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } finally {
    reader.cancel().catch(() => {});
  }
}

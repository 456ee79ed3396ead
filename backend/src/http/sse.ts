import type { Request, Response } from 'express';

/**
 * Turns a response into a Server-Sent Events stream: no socket timeout, no Nagle delay, and headers that keep
 * proxies (nginx buffers unless told not to) and caches from holding events back. The feed and runs both stream.
 */
export function openSse(req: Request, res: Response): void {
  req.socket.setTimeout(0);
  req.socket.setNoDelay(true);
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
}

import { decodePromptPath, PromptRef, Ref, vscodeUrl } from '@rocqet/sdk';
import type { Router } from 'express';
import type { Served } from './allow.js';
import { problemBody, sendProblem } from './problem.js';

export const promptPageServed: Served[] = [{ method: 'GET', path: /^\/p\/./ }];

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * `GET /p/<path>?ref=…`, the page a prompt link (a Slack card, an unfurl) leads to. A browser here carries no token,
 * so the page shows nothing of the prompt, not even whether it exists (that would tell a stranger what a workspace
 * holds): it says how to open it where the reader is signed in, in VS Code, over the API or from an MCP client.
 */
export function promptPageRoutes(router: Router, opts: { publicUrl: string | undefined }): void {
  router.get(/^\/p\/(.+)$/, (req, res) => {
    res.locals.route = '/p/{path}';
    const path = decodePromptPath(req.path.slice('/p/'.length));
    const rawRef = req.query.ref === '' ? undefined : req.query.ref;
    if (!path || !PromptRef.safeParse(path).success || (rawRef !== undefined && !Ref.safeParse(rawRef).success)) {
      sendProblem(res, problemBody('not_found', 'not a prompt link: /p/<folder>/<prompt> with an optional ?ref='));
      return;
    }
    const ref = rawRef as string | undefined;
    const base = opts.publicUrl ?? '';
    const api = `${base}/v1/prompts/${encodeURIComponent(path)}${ref ? `?ref=${encodeURIComponent(ref)}` : ''}`;
    const name = `${path}${ref ? `@${ref}` : ''}`;
    res
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
      .set('X-Robots-Tag', 'noindex')
      .set('Referrer-Policy', 'no-referrer')
      .type('html')
      .send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(name)} · Rocqet</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
code,pre{font:14px ui-monospace,monospace;background:#f6f8fa;border-radius:6px}code{padding:.1rem .3rem}
pre{padding:.75rem;overflow-x:auto}a.button{display:inline-block;background:#0969da;color:#fff;padding:.5rem 1rem;
border-radius:6px;text-decoration:none}</style></head>
<body><h1>${escape(name)}</h1>
<p>A prompt in a Rocqet library. Prompts are only shown to members of their workspace: open it where you are signed in.</p>
<p><a class="button" href="${escape(vscodeUrl(path, ref))}">Open in VS Code</a></p>
<h2>Over the API</h2>
<pre>curl -H "Authorization: Bearer $ROCQET_TOKEN" '${escape(api)}'</pre>
<h2>From an MCP client</h2>
<p>The resource <code>${escape(`rocqet://prompts/${path}${ref ? `@${ref}` : ''}`)}</code>, or the prompt <code>${escape(path)}</code>.</p>
</body></html>`);
  });
}

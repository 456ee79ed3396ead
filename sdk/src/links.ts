/**
 * The addresses every client shares for one prompt: the web link (`<public URL>/p/<path>?ref=…`, what Slack cards
 * link to and what unfurls) and the VS Code link its page and cards offer (the extension's URI handler). One module,
 * so the app that writes a link and the ones that read it cannot drift apart.
 */

export const VSCODE_EXTENSION_ID = 'rocqet.rocqet-vscode';

/** `<publicUrl>/p/<path>` with an optional `?ref=`, each path segment URL-encoded; undefined without a public URL. */
export function promptUrl(publicUrl: string | undefined, path: string, ref?: string): string | undefined {
  if (!publicUrl) return undefined;
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  return `${publicUrl.replace(/\/+$/, '')}/p/${encoded}${ref ? `?ref=${encodeURIComponent(ref)}` : ''}`;
}

/** The prompt a URL names, when it is one of this Rocqet's prompt URLs. */
export function parsePromptUrl(publicUrl: string | undefined, url: string): { path: string; ref: string | undefined } | undefined {
  if (!publicUrl) return undefined;
  let u: URL;
  let base: URL;
  try {
    u = new URL(url);
    base = new URL(publicUrl);
  } catch {
    return undefined;
  }
  const prefix = base.pathname.replace(/\/+$/, '') + '/p/';
  if (u.origin !== base.origin || !u.pathname.startsWith(prefix)) return undefined;
  const path = decodePromptPath(u.pathname.slice(prefix.length));
  return path ? { path, ref: u.searchParams.get('ref') || undefined } : undefined;
}

/**
 * A prompt path from its URL-encoded segments (folder names, then the prompt's slug); undefined when a segment does
 * not decode, is empty, or holds a "/" of its own.
 */
export function decodePromptPath(encoded: string): string | undefined {
  let segments: string[];
  try {
    segments = encoded.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  if (segments.length === 0 || segments.some((s) => s.trim() === '' || s.includes('/'))) return undefined;
  return segments.join('/');
}

/** Opens the prompt in the Rocqet VS Code extension (its URI handler, `/open?path=…&ref=…`). */
export function vscodeUrl(path: string, ref?: string): string {
  return `vscode://${VSCODE_EXTENSION_ID}/open?path=${encodeURIComponent(path)}${ref ? `&ref=${encodeURIComponent(ref)}` : ''}`;
}

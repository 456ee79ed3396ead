/**
 * How library prompts are named over MCP. A prompt is named by its path (`folder/sub/slug`); `path@ref` pins a
 * branch, tag, commit id or `#seq`. Branch names may hold "/" and folder names "@", but slugs never hold "@": the
 * pin is the last "@" that follows a slug-shaped segment.
 */
export interface PromptName {
  path: string;
  ref: string | undefined;
}

const SLUG = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;

export function parsePromptName(name: string): PromptName {
  for (let at = name.lastIndexOf('@'); at > 0; at = name.lastIndexOf('@', at - 1)) {
    const segment = name.slice(name.lastIndexOf('/', at) + 1, at);
    if (SLUG.test(segment) && at < name.length - 1) return { path: name.slice(0, at), ref: name.slice(at + 1) };
  }
  return { path: name, ref: undefined };
}

export function promptName(path: string, ref?: string): string {
  return ref ? `${path}@${ref}` : path;
}

const SCHEME = 'rocqet:';

/** URI templates (RFC 6570) of the resources, as advertised by resources/templates/list. */
export const templates = {
  prompt: 'rocqet://prompts/{+path}',
  promptAt: 'rocqet://prompts/{+path}@{ref}',
  history: 'rocqet://history/{+path}{?ref}',
  diff: 'rocqet://diff/{+path}{?from,to}',
} as const;

export type ResourceAddress =
  | { kind: 'prompt'; path: string; ref: string | undefined }
  | { kind: 'history'; path: string; ref: string | undefined }
  | { kind: 'diff'; path: string; from: string; to: string | undefined };

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function promptUri(path: string, ref?: string): string {
  return `rocqet://prompts/${encodePath(path)}${ref ? '@' + encodeURIComponent(ref) : ''}`;
}

export function historyUri(path: string, ref?: string): string {
  return `rocqet://history/${encodePath(path)}${ref ? '?ref=' + encodeURIComponent(ref) : ''}`;
}

export function diffUri(path: string, from: string, to?: string): string {
  const q = new URLSearchParams({ from, ...(to ? { to } : {}) });
  return `rocqet://diff/${encodePath(path)}?${q}`;
}

/** The resource a URI names, or undefined when it names none of ours (the caller answers "resource not found"). */
export function parseResourceUri(uri: string): ResourceAddress | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== SCHEME) return undefined;
  // Segments and the ref are percent-encoded, so a literal "@" in the raw path can only be the pin.
  let raw = url.pathname.replace(/^\/+/, '');
  let rawRef: string | undefined;
  const at = raw.lastIndexOf('@');
  if (url.host === 'prompts' && at > raw.lastIndexOf('/')) {
    rawRef = raw.slice(at + 1);
    raw = raw.slice(0, at);
  }
  let segments: string[];
  let ref: string | undefined;
  try {
    segments = raw.split('/').map(decodeURIComponent);
    ref = rawRef === undefined ? undefined : decodeURIComponent(rawRef);
  } catch {
    return undefined;
  }
  if (segments.some((s) => s === '' || s === '.' || s === '..') || ref === '') return undefined;
  const path = segments.join('/');
  switch (url.host) {
    case 'prompts':
      return url.search ? undefined : { kind: 'prompt', path, ref };
    case 'history':
      return { kind: 'history', path, ref: url.searchParams.get('ref') ?? undefined };
    case 'diff': {
      const from = url.searchParams.get('from');
      if (!from) return undefined;
      return { kind: 'diff', path, from, to: url.searchParams.get('to') ?? undefined };
    }
    default:
      return undefined;
  }
}

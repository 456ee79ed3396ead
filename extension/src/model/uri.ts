/**
 * Rocqet documents are addressed as `rocqet:/<workspace>/<path>@<branch>.prompt.md`: the workspace slug, the
 * prompt's path (folder/sub/slug) and the branch whose live draft the document is. The query says when the document
 * is something else: `commit=<id>` a committed version (read-only), `merge=<source>` a merge being resolved.
 * Branch names cannot hold "@" and prompt paths can (folder names may), so the last "@" splits them.
 */
export const SCHEME = 'rocqet';
export const SUFFIX = '.prompt.md';

export type DocKind =
  | { kind: 'draft' }
  | { kind: 'version'; commit: string }
  | { kind: 'merge'; source: string };

export interface PromptAddress {
  workspace: string;
  path: string;
  branch: string;
}

export type DocAddress = PromptAddress & DocKind;

export function formatPath(a: PromptAddress): string {
  return `/${a.workspace}/${a.path}@${a.branch}${SUFFIX}`;
}

export function formatQuery(k: DocKind): string {
  if (k.kind === 'version') return `commit=${encodeURIComponent(k.commit)}`;
  if (k.kind === 'merge') return `merge=${encodeURIComponent(k.source)}`;
  return '';
}

/** Parses a URI's path and query; undefined when they are not a Rocqet document's. */
export function parseDocUri(path: string, query = ''): DocAddress | undefined {
  if (!path.startsWith('/') || !path.endsWith(SUFFIX)) return undefined;
  const inner = path.slice(1, -SUFFIX.length);
  const slash = inner.indexOf('/');
  const at = inner.lastIndexOf('@');
  if (slash <= 0 || at <= slash + 1 || at === inner.length - 1) return undefined;
  const workspace = inner.slice(0, slash);
  const promptPath = inner.slice(slash + 1, at);
  const branch = inner.slice(at + 1);
  if (promptPath.split('/').some((s) => s === '')) return undefined;
  const params = new URLSearchParams(query);
  const commit = params.get('commit');
  const merge = params.get('merge');
  const base = { workspace, path: promptPath, branch };
  if (commit) return { ...base, kind: 'version', commit };
  if (merge) return { ...base, kind: 'merge', source: merge };
  return { ...base, kind: 'draft' };
}

/** The last segment of a path: what a prompt file is called on disk. */
export function slugOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

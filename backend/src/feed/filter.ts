import type { FeedEvent } from '@rocqet/sdk';
import type { Actor } from '../domain/actor.js';
import { atLeast } from '../domain/policy.js';
import type { FeedEntry } from './entries.js';

export interface FeedFilter {
  promptId?: string | undefined;
  /** The folder and its path: its subtree is every folder whose path starts with it. */
  folder?: { id: string; path: string } | undefined;
  /** `prompt.commit` exactly, or `prompt` for every `prompt.*` action. */
  types?: string[] | undefined;
}

/** Everyone who may read the workspace sees its library change; the audit trail of people and tokens is for admins. */
const LIBRARY_RESOURCES = new Set(['prompt', 'folder', 'workspace']);

export function mayRead(actor: Actor, entry: FeedEntry): boolean {
  return atLeast(actor.role, 'admin') || LIBRARY_RESOURCES.has(entry.event.resourceType);
}

/**
 * What the audit API shows admins only (where a change came from) is left out for everyone else. It depends on
 * whether the reader is an admin and on nothing else (http/routes/events.ts serialises each entry once per view).
 */
export function presentFor(actor: Actor, event: FeedEvent): FeedEvent {
  return atLeast(actor.role, 'admin') ? event : { ...event, ip: null, userAgent: null, requestId: null };
}

/** A folder's subtree as of a batch: its own id, and every folder below it by path (its current path, if it still exists). */
export interface FolderScope {
  ids: Set<string>;
  path: string;
}

export function folderScope(folder: { id: string; path: string }, folders: Map<string, { path: string }>): FolderScope {
  const path = folders.get(folder.id)?.path ?? folder.path;
  const ids = new Set([folder.id]);
  for (const [id, f] of folders) if (f.path.startsWith(path + '/')) ids.add(id);
  return { ids, path };
}

/**
 * The folder filter matches an entry about the folder or one below it, and a prompt in it or moved into or out of
 * it (folders deleted since are matched by their recorded path).
 */
export function matches(filter: FeedFilter, entry: FeedEntry, scope: FolderScope | undefined): boolean {
  const { event } = entry;
  if (filter.types && !filter.types.some((t) => event.action === t || event.action.startsWith(t + '.'))) return false;
  if (filter.promptId && event.subject.promptId !== filter.promptId) return false;
  if (scope) {
    const inside =
      entry.folderIds.some((id) => scope.ids.has(id)) ||
      entry.folderPaths.some((p) => p === scope.path || p.startsWith(scope.path + '/'));
    if (!inside) return false;
  }
  return true;
}

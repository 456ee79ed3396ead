import type { Client, Me } from '@rocqet/sdk';
import type { LibraryChanges } from './changes.js';

/**
 * The change feed (GET /v1/events through the sdk's `client.events.subscribe`, from the feed branch) as library
 * changes. The shapes below are the subset of the sdk's FeedEvent / SubscribeOptions this needs, so this file
 * compiles before and after that branch is merged; without `client.events` it follows nothing and the server
 * hears only its own writes. After the merge, swap these for `import type { FeedEvent, SubscribeOptions } from
 * '@rocqet/sdk'`.
 */
interface FeedEventLike {
  action: string;
  resourceType: string;
  subject: { promptId: string | null; path: string | null };
  changes: Record<string, unknown>;
}

interface FeedClient {
  events?: {
    subscribe(options: {
      types?: string[];
      filters?: { types?: string[] };
      onEvent(event: FeedEventLike): void;
      onResync?(): void;
      onError?(error: Error): void;
    }): { close(): void };
  };
}

/** Every action that can change what a prompt list, a prompt's arguments or a resource shows. */
const FOLLOWED = ['prompt', 'branch', 'tag', 'folder'];

/** Paths of the live prompts in the folder at `folder` and below it (one folder listing, one prompt page per folder). */
async function promptsBelow(client: Client, folder: string): Promise<string[]> {
  const subtree = (await client.listFolders()).items.filter((f) => f.path === folder || f.path.startsWith(folder + '/'));
  const out: string[] = [];
  for (const f of subtree) {
    let cursor: string | undefined;
    do {
      const page = await client.listPrompts({ query: { folder: f.id, limit: 200, ...(cursor ? { cursor } : {}) } });
      out.push(...page.items.map((p) => p.path));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return out;
}

/**
 * Prompt paths an event is about: the subject's (its path now), and the one it had before a rename or move. The feed
 * records what a PATCH changed (slug, folderId), not the old path, so that path is rebuilt from them; a move needs the
 * old folder's path, which costs one folder listing. A folder event names the folder's old and new paths: every
 * prompt below it changed path, so those are listed (new paths) and rebased on the old folder path (old ones), for
 * 2026-era subscriptions, which name exact URIs; the folder paths themselves go in `folders` for prefix matches.
 */
async function pathsOf(event: FeedEventLike, client: Client): Promise<{ paths: string[]; folders?: string[] }> {
  const paths = new Set<string>();
  const now = event.subject.path;
  const before = (event.changes.before ?? {}) as { path?: unknown; slug?: unknown; folderId?: unknown };
  if (event.resourceType === 'folder') {
    const folders = [now, before.path].filter((p): p is string => typeof p === 'string');
    if (now && typeof before.path === 'string' && before.path !== now) {
      const old = before.path;
      const below = await promptsBelow(client, now).catch(() => [] as string[]);
      for (const p of below) paths.add(p).add(old + p.slice(now.length));
    }
    return { paths: [...paths], folders };
  }
  if (now) paths.add(now);
  if (typeof before.path === 'string') paths.add(before.path);
  if (event.resourceType === 'prompt' && now && (typeof before.slug === 'string' || before.folderId !== undefined)) {
    const cut = now.lastIndexOf('/');
    const slug = typeof before.slug === 'string' ? before.slug : now.slice(cut + 1);
    let folder: string | null = cut < 0 ? null : now.slice(0, cut);
    if (before.folderId === null) folder = null;
    else if (typeof before.folderId === 'string') {
      const id = before.folderId;
      folder = (await client.listFolders().catch(() => ({ items: [] as { id: string; path: string }[] }))).items.find((f) => f.id === id)?.path ?? null;
    }
    paths.add(folder ? `${folder}/${slug}` : slug);
  }
  return { paths: [...paths] };
}

export interface FeedFollower {
  /** Follow the workspace of this caller (once per workspace; a later caller takes over if the token stops working). */
  follow(client: Client, me: Me): void;
  /** Whether the feed reports this workspace's changes (then a write's own report would notify twice). */
  following(workspaceId: string): boolean;
  close(): void;
}

export function followFeeds(changes: LibraryChanges, log: (message: string) => void = () => {}): FeedFollower {
  const byWorkspace = new Map<string, { close(): void }>();
  let order = Promise.resolve();
  return {
    following: (workspaceId) => byWorkspace.has(workspaceId),
    follow(client, me) {
      const feed = (client as unknown as FeedClient).events;
      if (!feed || !me.workspaceId || byWorkspace.has(me.workspaceId)) return;
      const workspaceId = me.workspaceId;
      const subscription = feed.subscribe({
        filters: { types: FOLLOWED },
        onEvent: (event) => {
          // A text commit on a non-served branch still changes history and diff resources; treat all as list changes
          // (a hint that makes clients re-list), which is cheap next to missing one. Reports keep the feed's order.
          const about = pathsOf(event, client);
          order = order.then(async () => {
            changes.report({ workspaceId, ...(await about), listChanged: true });
          });
        },
        onResync: () => changes.report({ workspaceId, paths: [], listChanged: true }),
        onError: (err) => {
          log(`rocqet-mcp: the change feed of workspace ${workspaceId} stopped: ${err.message}`);
          byWorkspace.delete(workspaceId);
        },
      });
      byWorkspace.set(workspaceId, subscription);
    },
    close() {
      for (const s of byWorkspace.values()) s.close();
      byWorkspace.clear();
    },
  };
}

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

/** Paths an event is about: the subject's, and the path it had before a rename or move. */
function pathsOf(event: FeedEventLike): string[] {
  const paths = new Set<string>();
  if (event.subject.path) paths.add(event.subject.path);
  const before = (event.changes.before as { path?: unknown } | undefined)?.path;
  if (typeof before === 'string') paths.add(before);
  return [...paths];
}

export interface FeedFollower {
  /** Follow the workspace of this caller (once per workspace; a later caller takes over if the token stops working). */
  follow(client: Client, me: Me): void;
  close(): void;
}

export function followFeeds(changes: LibraryChanges, log: (message: string) => void = () => {}): FeedFollower {
  const byWorkspace = new Map<string, { close(): void }>();
  return {
    follow(client, me) {
      const feed = (client as unknown as FeedClient).events;
      if (!feed || !me.workspaceId || byWorkspace.has(me.workspaceId)) return;
      const workspaceId = me.workspaceId;
      const subscription = feed.subscribe({
        filters: { types: FOLLOWED },
        onEvent: (event) => {
          // A text commit on a non-served branch still changes history and diff resources; treat all as list changes
          // (a hint that makes clients re-list), which is cheap next to missing one.
          changes.report({ workspaceId, paths: pathsOf(event), listChanged: true });
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

/**
 * The seam between "the library changed" and MCP notifications. Today the MCP server's own write tools report here;
 * the change feed (GET /v1/events through the sdk) plugs into the same `report` (see live.ts), so a commit made
 * anywhere reaches every session of the workspace.
 */
export interface LibraryChange {
  workspaceId: string;
  /** The prompt's path, when the change is about one prompt (before and after a rename or move). */
  paths: string[];
  /** Whether the set of prompts (or their names) may have changed, not only a text. */
  listChanged: boolean;
  /** The paths are folders: every prompt below them changed path. */
  prefixes?: boolean;
}

/** Whether a change touches the prompt at `path`. */
export function touches(change: LibraryChange, path: string): boolean {
  return change.paths.some((p) => p === path || (change.prefixes === true && path.startsWith(p + '/')));
}

export type LibraryListener = (change: LibraryChange) => void;

export class LibraryChanges {
  private readonly listeners = new Set<LibraryListener>();

  onLibraryChanged(listener: LibraryListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  report(change: LibraryChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // One broken session must not stop the others hearing the change.
      }
    }
  }
}

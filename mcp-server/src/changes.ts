/**
 * The seam between "the library changed" and MCP notifications. Today the MCP server's own write tools report here;
 * the change feed (GET /v1/events through the sdk) plugs into the same `report` (see live.ts), so a commit made
 * anywhere reaches every session of the workspace.
 */
export interface LibraryChange {
  workspaceId: string;
  /** Paths of the prompts it changed (before and after a rename or move, of the prompt or of a folder above it). */
  paths: string[];
  /** Whether the set of prompts (or their names) may have changed, not only a text. */
  listChanged: boolean;
  /** Folders renamed, moved or deleted (old and new paths): every prompt below them changed path. */
  folders?: string[];
}

/** Whether a change touches the prompt at `path`. */
export function touches(change: LibraryChange, path: string): boolean {
  return change.paths.includes(path) || (change.folders ?? []).some((f) => path.startsWith(f + '/'));
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

/**
 * Conflict markers as git writes them (and the backend's merge does: `<<<<<<< ours`, optional `||||||| base`,
 * `=======`, `>>>>>>> theirs`), found line by line, with what each CodeLens action replaces a block with.
 */
export interface ConflictBlock {
  /** Line of `<<<<<<<`. */
  start: number;
  /** Line of `>>>>>>>`. */
  end: number;
  currentLabel: string;
  incomingLabel: string;
  current: string[];
  base: string[] | undefined;
  incoming: string[];
}

export type Resolution = 'current' | 'incoming' | 'both';

export function findConflicts(text: string): ConflictBlock[] {
  const lines = text.split(/\r\n|\r|\n/);
  const blocks: ConflictBlock[] = [];
  let open: { start: number; label: string; current: string[]; base?: string[]; incoming?: string[] } | undefined;
  let section: 'current' | 'base' | 'incoming' = 'current';
  lines.forEach((line, i) => {
    if (line.startsWith('<<<<<<<')) {
      open = { start: i, label: line.slice(7).trim(), current: [] };
      section = 'current';
    } else if (!open) {
      return;
    } else if (line.startsWith('|||||||') && section === 'current') {
      open.base = [];
      section = 'base';
    } else if (line.startsWith('=======') && section !== 'incoming') {
      open.incoming = [];
      section = 'incoming';
    } else if (line.startsWith('>>>>>>>') && section === 'incoming') {
      blocks.push({
        start: open.start,
        end: i,
        currentLabel: open.label,
        incomingLabel: line.slice(7).trim(),
        current: open.current,
        base: open.base,
        incoming: open.incoming ?? [],
      });
      open = undefined;
    } else if (section === 'current') open.current.push(line);
    else if (section === 'base') open.base!.push(line);
    else open.incoming!.push(line);
  });
  return blocks;
}

export function resolutionLines(block: ConflictBlock, choice: Resolution): string[] {
  if (choice === 'current') return block.current;
  if (choice === 'incoming') return block.incoming;
  return [...block.current, ...block.incoming];
}

/** Whether any marker is left (a merge is committed only once none is). */
export function hasConflictMarkers(text: string): boolean {
  return findConflicts(text).length > 0;
}

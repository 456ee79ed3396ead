import type { ImportReport } from '@rocqet/sdk';

export function emptyReport(format: ImportReport['format']): ImportReport {
  return { format, created: 0, updated: 0, unchanged: 0, commits: 0, skipped: [], renamed: [] };
}

export type Progress = (done: number, total: number) => void;

export { contentHash } from './hash.js';
export { applyDelta, encodeDelta } from './delta.js';
export { decodeVersion, encodeVersion, encodeVersionOffLoop, MAX_CHAIN, type ParentVersion, type StoredVersion } from './storage.js';
export { diffTexts, type DiffOptions, type DiffResult, type Hunk, type HunkLine, type WordPart } from './diff.js';
export { mergeTexts, mergeTextsKeepingOurs, type ConflictHunk, type MergeOptions, type MergeResult } from './merge.js';
export { isAncestor, lowestCommonAncestor, mergeBases, type ParentsOf, type SeqOf } from './dag.js';

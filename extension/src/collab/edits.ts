import { diffChars } from 'diff';

/** A replacement of `[start, end)` (offsets of the text it applies to) by `text`. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Past this edit distance the diff gives up and one replacement spans the changed middle. */
const MAX_EDIT_LENGTH = 2_000;

/**
 * The edits that turn `from` into `to`: few and small, so that an editor applying them leaves every cursor outside
 * them where it was (a replace-all would move them all). Ordered by position, non-overlapping, all in `from`'s
 * offsets, as VS Code's WorkspaceEdit takes them.
 */
export function editsBetween(from: string, to: string): Edit[] {
  if (from === to) return [];
  let prefix = 0;
  const max = Math.min(from.length, to.length);
  while (prefix < max && from.charCodeAt(prefix) === to.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix < max - prefix && from.charCodeAt(from.length - 1 - suffix) === to.charCodeAt(to.length - 1 - suffix)) suffix++;
  // Never split a surrogate pair at the cut (the editor would see half a character).
  if (prefix > 0 && isHighSurrogate(from.charCodeAt(prefix - 1))) prefix--;
  if (suffix > 0 && isLowSurrogate(from.charCodeAt(from.length - suffix))) suffix--;
  const a = from.slice(prefix, from.length - suffix);
  const b = to.slice(prefix, to.length - suffix);
  const whole: Edit = { start: prefix, end: from.length - suffix, text: b };
  if (a.length === 0 || b.length === 0) return [whole];
  const parts = diffChars(a, b, { maxEditLength: MAX_EDIT_LENGTH });
  if (!parts) return [whole];
  const edits: Edit[] = [];
  let at = prefix;
  for (const part of parts) {
    if (part.added) {
      const last = edits[edits.length - 1];
      if (last && last.end === at) last.text += part.value;
      else edits.push({ start: at, end: at, text: part.value });
    } else if (part.removed) {
      const last = edits[edits.length - 1];
      if (last && last.end === at) last.end = at + part.value.length;
      else edits.push({ start: at, end: at + part.value.length, text: '' });
      at += part.value.length;
    } else {
      at += part.value.length;
    }
  }
  return edits;
}

/** Applies edits (ordered, in the text's own offsets) to a text. */
export function applyEdits(text: string, edits: readonly Edit[]): string {
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * Where an offset of `from` lands in `to`, given the edits between them: unchanged text maps one to one, an offset
 * inside a replaced span goes to the span's end in `to` (after what replaced it).
 */
export function mapOffset(edits: readonly Edit[], offset: number): number {
  let shift = 0;
  for (const e of edits) {
    if (offset < e.start) break;
    if (offset < e.end || (offset === e.end && e.start === e.end)) {
      return e.start + shift + (offset === e.start && e.start !== e.end ? 0 : e.text.length);
    }
    shift += e.text.length - (e.end - e.start);
  }
  return offset + shift;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

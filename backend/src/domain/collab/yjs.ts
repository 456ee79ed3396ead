/** The shape of a draft's Yjs document, and the edits the server makes to it. */
import { DRAFT_BASE_KEY, DRAFT_META, DRAFT_TEXT } from '@rocqet/sdk';
import { diffChars } from 'diff';
import * as Y from 'yjs';
import { mergeTextsKeepingOurs } from '../versions/index.js';

/** Server-side facts about the draft, in the document so every replica reads text and base consistently. */
const META = DRAFT_META;
const BASE = DRAFT_BASE_KEY;

export function draftText(doc: Y.Doc): Y.Text {
  return doc.getText(DRAFT_TEXT);
}

export function draftBase(doc: Y.Doc): string | undefined {
  const base = doc.getMap(META).get(BASE);
  return typeof base === 'string' ? base : undefined;
}

/** The first state of a draft: the branch head's text on its commit. */
export function initialDraftState(text: string, base: string): Uint8Array {
  const doc = new Y.Doc();
  doc.transact(() => {
    draftText(doc).insert(0, text);
    doc.getMap(META).set(BASE, base);
  });
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

/**
 * Turns the Y.Text's `from` into `to` with the fewest inserts and deletes a character diff finds, so concurrent
 * edits elsewhere in the text survive (a replace-all would erase them).
 */
export function applyTextChange(text: Y.Text, from: string, to: string): void {
  let at = 0;
  for (const part of diffChars(from, to)) {
    if (part.added) {
      text.insert(at, part.value);
      at += part.value.length;
    } else if (part.removed) {
      text.delete(at, part.value.length);
    } else {
      at += part.value.length;
    }
  }
}

/**
 * Moves a draft onto a new head: the three-way merge of the draft, its old base and the new head (conflicts keep the
 * draft's side, so no editor's pending edit is lost), applied as minimal edits in one transaction with `origin`.
 */
export function rebaseDraft(doc: Y.Doc, old: { text: string }, head: { id: string; text: string }, origin: unknown): void {
  doc.transact(() => {
    const text = draftText(doc);
    const current = text.toString();
    applyTextChange(text, current, mergeTextsKeepingOurs(old.text, current, head.text));
    doc.getMap(META).set(BASE, head.id);
  }, origin);
}

/** The draft's base moves to a commit made of its own text (a commit from the draft): no text changes. */
export function setDraftBase(doc: Y.Doc, base: string, origin: unknown): void {
  doc.transact(() => doc.getMap(META).set(BASE, base), origin);
}

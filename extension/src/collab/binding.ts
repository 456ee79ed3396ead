import * as Y from 'yjs';
import { applyEdits, editsBetween, mapOffset, type Edit } from './edits.js';
import { eolOf, LineIndex, normalForm, RawMap, withEol, type Position } from './text.js';

/** A change of an editor's document, in the positions of the text before it (VS Code's contentChanges). */
export interface SurfaceChange {
  start: Position;
  end: Position;
  text: string;
}

/** The editor side of a binding: VS Code's TextDocument in the extension, a plain string in the Node tests. */
export interface TextSurface {
  /** The document's text now, with its own line breaks. */
  text(): string;
  eol(): '\n' | '\r\n';
  /** Applies changes (positions in the current text); false when they were not applied. */
  apply(changes: SurfaceChange[]): Promise<boolean>;
}

export type Refusal = 'too_large' | 'read_only';

export interface BindingOptions {
  /** The longest text the draft may hold (the sdk's `Content` limit); a local change past it is undone. */
  maxLength: number;
  readOnly?: boolean;
  /** A local change was not applied to the draft (and is being undone in the editor). */
  onRefused?(reason: Refusal): void;
  /** The editor and the draft agree again after a change (tests and the benchmark wait on it). */
  onSynced?(): void;
  /** Debounce of the drift check (OCT's 100 ms, at most 500 ms). */
  resyncMs?: { wait: number; max: number };
}

/** The transaction origin of edits that came from this editor: the undo manager tracks only these. */
export const LOCAL_ORIGIN = Symbol('rocqet-local-edit');

/**
 * Binds an editor document to a draft's Y.Text, both ways (Open Collaboration Tools' binding is the model):
 * - a local change becomes Y.Text edits in one transaction with LOCAL_ORIGIN; the observer skips those, so nothing
 *   echoes back into the editor;
 * - a remote change (or an undo) is applied to the editor as the fewest small edits, so cursors outside them stay;
 * - `shadow` is what the editor holds (normal form), updated by every document event; when the Y.Text moved on
 *   before the editor caught up, a local change's offsets are mapped through the edits between the two;
 * - an edit of ours that VS Code refused (the document moved meanwhile) is recomputed, and a debounced check
 *   repairs any drift by making the editor show the Y.Text.
 */
export class DraftBinding {
  private shadow: string;
  private readonly yEol: '\n' | '\r\n';
  private applying = false;
  /** An edit we asked the editor for whose document event has not arrived yet. */
  private expected: { edits: Edit[]; result: string } | undefined;
  private again = false;
  /** Refused applies in a row: retried with backoff, so a document that cannot take edits cannot spin the host. */
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  private resyncFirst = 0;
  private disposed = false;
  readonly undoManager: Y.UndoManager;
  private readonly observer: (event: Y.YTextEvent, tx: Y.Transaction) => void;

  constructor(
    readonly ytext: Y.Text,
    private readonly surface: TextSurface,
    private readonly options: BindingOptions,
  ) {
    this.shadow = normalForm(surface.text());
    this.yEol = eolOf(ytext.toString());
    this.undoManager = new Y.UndoManager(ytext, { trackedOrigins: new Set([LOCAL_ORIGIN]), captureTimeout: 500 });
    this.observer = (_event, tx) => {
      if (tx.origin !== LOCAL_ORIGIN) this.reconcile();
    };
    ytext.observe(this.observer);
    this.reconcile();
  }

  set readOnly(value: boolean) {
    this.options.readOnly = value;
  }

  /** Whether the editor shows exactly the draft's text (up to line breaks). */
  get inSync(): boolean {
    return this.shadow === normalForm(this.ytext.toString());
  }

  /** Every document event of the bound editor, ours included. */
  onSurfaceChange(changes: readonly SurfaceChange[]): void {
    if (this.disposed || changes.length === 0) return;
    const index = new LineIndex(this.shadow);
    const edits = changes
      .map((c) => ({ start: index.offsetAt(c.start), end: index.offsetAt(c.end), text: normalForm(c.text) }))
      .sort((a, b) => a.start - b.start || a.end - b.end);
    const next = applyEdits(this.shadow, edits);
    const expected = this.expected;
    this.expected = undefined;
    if (expected && (sameEdits(expected.edits, edits) || expected.result === next)) {
      this.shadow = next;
      this.scheduleResync();
      return;
    }
    this.pushLocal(edits, next);
  }

  undo(): boolean {
    return this.undoManager.undo() !== null;
  }

  redo(): boolean {
    return this.undoManager.redo() !== null;
  }

  /** A raw Y.Text index for an editor position (for cursors), through the pending difference if there is one. */
  yIndexAt(position: Position): number {
    const raw = this.ytext.toString();
    const normal = normalForm(raw);
    let offset = new LineIndex(this.shadow).offsetAt(position);
    if (normal !== this.shadow) offset = mapOffset(editsBetween(this.shadow, normal), offset);
    return new RawMap(raw).toRaw(offset);
  }

  /** The editor position of a raw Y.Text index (a remote cursor), through the pending difference if any. */
  positionOfYIndex(index: number): Position {
    const raw = this.ytext.toString();
    const normal = normalForm(raw);
    let offset = new RawMap(raw).toNormal(index);
    if (normal !== this.shadow) offset = mapOffset(editsBetween(normal, this.shadow), offset);
    return new LineIndex(this.shadow).positionAt(offset);
  }

  /** Forces the drift check now: the editor is made to show the draft. */
  resync(): void {
    this.shadow = normalForm(this.surface.text());
    this.reconcile();
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.resyncTimer);
    clearTimeout(this.retryTimer);
    this.ytext.unobserve(this.observer);
    this.undoManager.destroy();
  }

  private pushLocal(edits: Edit[], next: string): void {
    const raw = this.ytext.toString();
    const normal = normalForm(raw);
    // Y moved on before the editor caught up: carry the offsets over the difference.
    const between = normal === this.shadow ? undefined : editsBetween(this.shadow, normal);
    const map = new RawMap(raw);
    const yEdits = edits.map((e) => {
      const start = map.toRaw(between ? mapOffset(between, e.start) : e.start);
      const end = Math.max(start, map.toRaw(between ? mapOffset(between, e.end) : e.end));
      return { start, end, text: withEol(e.text, this.yEol) };
    });
    const growth = yEdits.reduce((n, e) => n + e.text.length - (e.end - e.start), 0);
    const refusal: Refusal | undefined = this.options.readOnly
      ? 'read_only'
      : growth > 0 && raw.length + growth > this.options.maxLength
        ? 'too_large'
        : undefined;
    this.shadow = next;
    if (refusal) {
      this.options.onRefused?.(refusal);
      this.reconcile(); // the editor goes back to the draft's text
      return;
    }
    this.ytext.doc!.transact(() => {
      for (const e of [...yEdits].reverse()) {
        if (e.end > e.start) this.ytext.delete(e.start, e.end - e.start);
        if (e.text) this.ytext.insert(e.start, e.text);
      }
    }, LOCAL_ORIGIN);
    if (between) this.reconcile();
    else this.scheduleResync();
  }

  /** Makes the editor show the Y.Text: the edits between them, applied; recomputed until they agree. */
  private reconcile(): void {
    if (this.disposed) return;
    if (this.applying || this.retryTimer) {
      this.again = true;
      return;
    }
    const target = normalForm(this.ytext.toString());
    if (target === this.shadow) {
      this.options.onSynced?.();
      return;
    }
    const edits = editsBetween(this.shadow, target);
    const index = new LineIndex(this.shadow);
    const eol = this.surface.eol();
    const changes = edits.map((e) => ({ start: index.positionAt(e.start), end: index.positionAt(e.end), text: withEol(e.text, eol) }));
    this.applying = true;
    this.again = false;
    this.expected = { edits, result: target };
    void this.surface.apply(changes).then(
      (ok) => this.afterApply(ok),
      () => this.afterApply(false),
    );
  }

  private afterApply(ok: boolean): void {
    this.applying = false;
    if (this.disposed) return;
    if (!ok) {
      // The document moved meanwhile (or cannot take edits now): recompute from what it holds, after a pause that
      // grows with each refusal. Never at once: a promise chain of instant refusals would starve the event loop.
      this.expected = undefined;
      this.failures++;
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.shadow = normalForm(this.surface.text());
        this.reconcile();
      }, Math.min(1_000, 5 * 2 ** Math.min(this.failures, 8)));
      return;
    }
    this.failures = 0;
    if (this.again) this.reconcile();
    else if (this.shadow === normalForm(this.ytext.toString())) this.options.onSynced?.();
    this.scheduleResync();
  }

  private scheduleResync(): void {
    const { wait, max } = this.options.resyncMs ?? { wait: 100, max: 500 };
    const now = Date.now();
    if (this.resyncTimer === undefined) this.resyncFirst = now;
    clearTimeout(this.resyncTimer);
    const delay = Math.max(0, Math.min(wait, this.resyncFirst + max - now));
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = undefined;
      if (this.disposed) return;
      if (this.applying) return this.scheduleResync();
      this.expected = undefined;
      const actual = normalForm(this.surface.text());
      if (actual !== this.shadow || actual !== normalForm(this.ytext.toString())) this.resync();
    }, delay);
  }
}

function sameEdits(a: readonly Edit[], b: readonly Edit[]): boolean {
  return a.length === b.length && a.every((e, i) => e.start === b[i]!.start && e.end === b[i]!.end && e.text === b[i]!.text);
}

import * as vscode from 'vscode';
import * as Y from 'yjs';
import type { DraftBinding } from '../collab/binding.js';
import type { AwarenessCursor, DraftSession } from '../collab/session.js';

interface Look {
  caret: vscode.TextEditorDecorationType;
  selection: vscode.TextEditorDecorationType;
}

const looks = new Map<string, Look>();

/**
 * Where a caret's name goes: above the caret, except on the first line, where above is outside the editor and would
 * be clipped (the name is what tells whose caret it is): there it goes below.
 */
type Placement = 'above' | 'below';

/** One caret and one selection decoration type per colour and placement, shared by every document. */
function lookOf(color: string, placement: Placement): Look {
  const safe = /^#[0-9a-fA-F]{3,8}$/.test(color) ? color : '#888888';
  const key = `${safe} ${placement}`;
  let look = looks.get(key);
  if (!look) {
    // The name is absolutely placed against the line (a view line is positioned), so `top: 100%` is just below it.
    const where = placement === 'above' ? 'transform: translateY(-100%);' : 'top: 100%;';
    look = {
      caret: vscode.window.createTextEditorDecorationType({
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
        before: {
          contentText: '',
          // A zero-width caret with the name beside it; VS Code passes the textDecoration value into the CSS.
          textDecoration: `none; position: relative; border-left: 2px solid ${safe}; margin-left: -1px; margin-right: -1px;`,
        },
        after: {
          color: '#ffffff',
          backgroundColor: safe,
          textDecoration: `none; position: absolute; ${where} font-size: 0.8em; padding: 0 3px; border-radius: 2px; pointer-events: none; z-index: 1;`,
        },
      }),
      selection: vscode.window.createTextEditorDecorationType({ backgroundColor: `${safe}40`, borderRadius: '2px' }),
    };
    looks.set(key, look);
  }
  return look;
}

/**
 * Everyone else's cursor and selection in a draft's editors, in their colour with their name, from awareness; and
 * this editor's own cursor published there as Y relative positions (the y-codemirror/y-monaco `cursor` field), so
 * a cursor stays on its character while text around it changes.
 */
export class RemoteCursors {
  private readonly onChange = () => this.render();
  private used = new Set<Look>();

  constructor(
    private readonly session: DraftSession,
    private readonly binding: DraftBinding,
    private readonly uri: vscode.Uri,
  ) {
    session.awareness.on('change', this.onChange);
    session.text.observe(this.onChange);
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    if (editor) this.publish(editor);
    this.render();
  }

  publish(editor: vscode.TextEditor): void {
    const sel = editor.selection;
    const rel = (p: vscode.Position) =>
      Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(this.session.text, this.binding.yIndexAt(p)));
    this.session.awareness.setLocalStateField('cursor', { anchor: rel(sel.anchor), head: rel(sel.active) } satisfies AwarenessCursor);
  }

  /** The names and positions shown now (tests read them). */
  current(): { name: string; color: string; head: vscode.Position; anchor: vscode.Position }[] {
    const out: { name: string; color: string; head: vscode.Position; anchor: vscode.Position }[] = [];
    for (const peer of this.session.peers()) {
      const c = peer.cursor;
      if (!c) continue;
      const head = this.positionOf(c.head);
      const anchor = this.positionOf(c.anchor);
      if (head && anchor) out.push({ name: peer.user.name, color: peer.user.color, head, anchor });
    }
    return out;
  }

  render(): void {
    const editors = vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === this.uri.toString());
    if (editors.length === 0) return;
    const byLook = new Map<Look, { carets: vscode.DecorationOptions[]; selections: vscode.Range[] }>();
    for (const c of this.current()) {
      const look = lookOf(c.color, c.head.line === 0 ? 'below' : 'above');
      const slot = byLook.get(look) ?? { carets: [], selections: [] };
      byLook.set(look, slot);
      slot.carets.push({
        range: new vscode.Range(c.head, c.head),
        hoverMessage: `${c.name} is here`,
        renderOptions: { after: { contentText: c.name } },
      });
      if (!c.head.isEqual(c.anchor)) slot.selections.push(new vscode.Range(c.anchor, c.head));
    }
    for (const editor of editors) {
      for (const look of new Set([...this.used, ...byLook.keys()])) {
        const slot = byLook.get(look);
        editor.setDecorations(look.caret, slot?.carets ?? []);
        editor.setDecorations(look.selection, slot?.selections ?? []);
      }
    }
    this.used = new Set(byLook.keys());
  }

  dispose(): void {
    this.session.awareness.off('change', this.onChange);
    this.session.text.unobserve(this.onChange);
    for (const editor of vscode.window.visibleTextEditors.filter((e) => e.document.uri.toString() === this.uri.toString())) {
      for (const look of this.used) {
        editor.setDecorations(look.caret, []);
        editor.setDecorations(look.selection, []);
      }
    }
  }

  private positionOf(json: unknown): vscode.Position | undefined {
    try {
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.createRelativePositionFromJSON(json), this.session.doc);
      if (!abs || abs.type !== this.session.text) return undefined;
      const p = this.binding.positionOfYIndex(abs.index);
      return new vscode.Position(p.line, p.character);
    } catch {
      return undefined; // a peer's malformed cursor is skipped, not fatal
    }
  }
}

import type { SurfaceChange, TextSurface } from '../../src/collab/binding.js';
import { LineIndex } from '../../src/collab/text.js';

/**
 * An editor document as VS Code keeps one, for the binding's Node tests: one EOL for the whole text (every line
 * break normalised to it, as VS Code does on load and on every edit), positions in UTF-16 code units, change events
 * fired before an applied edit resolves, and an edit refused when the document changed after it was asked for
 * (VS Code's version check on WorkspaceEdit). `delayMs` stands for the round trip to the renderer.
 */
export class StringSurface implements TextSurface {
  private raw: string;
  version = 0;
  listener: ((changes: SurfaceChange[]) => void) | undefined;
  applied = 0;
  refused = 0;

  constructor(
    initial: string,
    private readonly eolKind: '\n' | '\r\n',
    private readonly delayMs = 1,
  ) {
    this.raw = this.normalise(initial);
  }

  text(): string {
    return this.raw;
  }

  eol(): '\n' | '\r\n' {
    return this.eolKind;
  }

  /** What the user sees, normal form. */
  get shown(): string {
    return this.raw.replace(/\r\n/g, '\n');
  }

  async apply(changes: SurfaceChange[]): Promise<boolean> {
    const asked = this.version;
    await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.version !== asked) {
      this.refused++;
      return false;
    }
    this.applied++;
    this.change(changes);
    return true;
  }

  /** The user types: a change at (line, character) positions of the current text. */
  type(changes: SurfaceChange[]): void {
    this.change(changes);
  }

  /** Types `text` at a normal-form offset. */
  typeAt(offset: number, text: string, deleteCount = 0): void {
    const index = new LineIndex(this.shown);
    this.type([{ start: index.positionAt(offset), end: index.positionAt(offset + deleteCount), text }]);
  }

  private change(changes: SurfaceChange[]): void {
    const index = new LineIndex(this.shown);
    const edits = changes
      .map((c) => ({ start: index.offsetAt(c.start), end: index.offsetAt(c.end), text: c.text.replace(/\r\n|\r/g, '\n') }))
      .sort((a, b) => b.start - a.start);
    let shown = this.shown;
    for (const e of edits) shown = shown.slice(0, e.start) + e.text + shown.slice(e.end);
    this.raw = this.normalise(shown);
    this.version++;
    this.listener?.(changes);
  }

  private normalise(text: string): string {
    const n = text.replace(/\r\n|\r/g, '\n');
    return this.eolKind === '\n' ? n : n.replace(/\n/g, '\r\n');
  }
}

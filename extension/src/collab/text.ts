/**
 * The draft's Y.Text and an editor's document hold the same text in two forms: the Y.Text keeps the line endings the
 * prompt was committed with (possibly CRLF, possibly mixed), while a VS Code document has one EOL for the whole file
 * and normalises every line break to it. Both count in UTF-16 code units. Comparing and diffing happen on the
 * *normal form* (every line break a single "\n"), which both sides share; positions cross between the forms as
 * (line, character), which line breaks of any kind leave unchanged.
 */

const LINE_BREAK = /\r\n|\r|\n/g;

export interface Position {
  line: number;
  character: number;
}

/** The text with every line break as "\n": what an editor shows, whatever EOL it uses. */
export function normalForm(text: string): string {
  return text.includes('\r') ? text.replace(LINE_BREAK, '\n') : text;
}

/** The line break a text uses: its first one ("\n" when it has none). */
export function eolOf(text: string): '\n' | '\r\n' {
  const i = text.search(/\r\n|\n/);
  return i >= 0 && text[i] === '\r' ? '\r\n' : '\n';
}

export function withEol(text: string, eol: '\n' | '\r\n'): string {
  const n = normalForm(text);
  return eol === '\n' ? n : n.replace(/\n/g, eol);
}

/** Offsets of line starts in a normal-form text, for (line, character) ↔ offset. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  get lineCount(): number {
    return this.starts.length;
  }

  offsetAt(p: Position): number {
    const line = Math.min(Math.max(p.line, 0), this.starts.length - 1);
    const start = this.starts[line]!;
    const end = line + 1 < this.starts.length ? this.starts[line + 1]! - 1 : this.text.length;
    return Math.min(start + Math.max(p.character, 0), end);
  }

  positionAt(offset: number): Position {
    const o = Math.min(Math.max(offset, 0), this.text.length);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - this.starts[lo]! };
  }
}

/**
 * Maps offsets between a raw text (any line breaks) and its normal form: only a CRLF changes length (two code units
 * become one), so the map is the list of CRLFs.
 */
export class RawMap {
  /** Normal-form offsets of the "\n" each CRLF became, ascending. */
  private readonly crlfs: number[] = [];

  constructor(raw: string) {
    let removed = 0;
    for (let i = raw.indexOf('\r\n'); i !== -1; i = raw.indexOf('\r\n', i + 2)) {
      this.crlfs.push(i - removed);
      removed++;
    }
  }

  /** A raw offset for a normal-form one: an offset just after a CRLF's "\n" lands after both its characters. */
  toRaw(normal: number): number {
    return normal + this.countBelow(normal);
  }

  /** A normal-form offset for a raw one (an offset between "\r" and "\n" counts as before the break). */
  toNormal(raw: number): number {
    let lo = 0;
    let hi = this.crlfs.length;
    // CRLF k sits at raw offset crlfs[k] + k; those ending at or before `raw` shorten it by one each.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.crlfs[mid]! + mid + 2 <= raw) lo = mid + 1;
      else hi = mid;
    }
    const inside = lo < this.crlfs.length && this.crlfs[lo]! + lo + 1 === raw;
    return raw - lo - (inside ? 1 : 0);
  }

  private countBelow(normal: number): number {
    let lo = 0;
    let hi = this.crlfs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.crlfs[mid]! < normal) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

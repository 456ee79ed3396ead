export interface CsvRow {
  line: number;
  fields: string[];
}

/** The number of "\n" in src[from, to): a quoted field's newlines still count as lines of the file. */
function newlines(src: string, from: number, to: number): number {
  let n = 0;
  for (let at = src.indexOf('\n', from); at !== -1 && at < to; at = src.indexOf('\n', at + 1)) n++;
  return n;
}

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. Returns rows with the line each started
 * on, so an import can say which row it skipped. Fields are cut out as slices between the special characters rather
 * than built a character at a time: a 50 MB field costs one copy, not fifty million appends.
 */
export function parseCsv(text: string): CsvRow[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const special = /[",\r\n]/g;
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  while (i < src.length) {
    special.lastIndex = i;
    const m = special.exec(src);
    const at = m ? m.index : src.length;
    field += src.slice(i, at);
    if (!m) break;
    const ch = m[0];
    i = at + 1;
    if (ch === '"') {
      // A quote opens a quoted field only at its start; elsewhere it is an ordinary character.
      if (field !== '') {
        field += '"';
        continue;
      }
      for (;;) {
        const close = src.indexOf('"', i);
        const end = close === -1 ? src.length : close;
        field += src.slice(i, end);
        line += newlines(src, i, end);
        if (close === -1) {
          i = src.length;
          break;
        }
        if (src[close + 1] === '"') {
          field += '"';
          i = close + 2;
        } else {
          i = close + 1;
          break;
        }
      }
    } else if (ch === ',') {
      fields.push(field);
      field = '';
    } else {
      if (ch === '\r' && src[i] === '\n') i++;
      fields.push(field);
      rows.push({ line: rowLine, fields });
      fields = [];
      field = '';
      line++;
      rowLine = line;
    }
  }
  if (field !== '' || fields.length) {
    fields.push(field);
    rows.push({ line: rowLine, fields });
  }
  return rows;
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../src/config.js';

/** The shared data sets (awesome-chatgpt-prompts.csv, search-dev-queries.json). */
export const sharedDataDir = path.resolve(process.env.ROCQET_SHARED_DATA ?? path.join(repoRoot, '..', 'shared', 'data'));

/** One row of awesome-chatgpt-prompts.csv as a prompt: title = act, content = prompt, tags = type (+ dev). */
export interface CsvPrompt {
  /** 0-based index among the data rows (the header is not counted). */
  row: number;
  title: string;
  content: string;
  tags: string[];
  contributor: string;
}

export interface DevQuery {
  q: string;
  relevant: string[];
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

let cached: CsvPrompt[] | undefined;

export function loadCsvPrompts(file = path.join(sharedDataDir, 'awesome-chatgpt-prompts.csv')): CsvPrompt[] {
  if (cached && file === path.join(sharedDataDir, 'awesome-chatgpt-prompts.csv')) return cached;
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  if (!header) throw new Error(`${file} is empty`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file} has no "${name}" column`);
    return i;
  };
  const [act, prompt, forDevs, type, contributor] = [col('act'), col('prompt'), col('for_devs'), col('type'), col('contributor')];
  const out = rows
    .filter((r) => r.length > 1)
    .map((r, row) => {
      const tags = [(r[type] ?? '').trim().toLowerCase()].filter((t) => t !== '');
      if ((r[forDevs] ?? '').trim().toUpperCase() === 'TRUE') tags.push('dev');
      return { row, title: (r[act] ?? '').trim(), content: r[prompt] ?? '', tags, contributor: r[contributor] ?? '' };
    });
  cached = out;
  return out;
}

export function loadDevQueries(file = path.join(sharedDataDir, 'search-dev-queries.json')): DevQuery[] {
  return JSON.parse(readFileSync(file, 'utf8')) as DevQuery[];
}

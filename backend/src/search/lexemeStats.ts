import type { Db, Tx } from '../db/prisma.js';

/**
 * ANALYZE's most common lexemes of prompt.search_tsv with their share of prompts: the idf of a query's terms.
 *
 * Read once per analysis of the table and kept in process. Reading them from pg_stats in every query cost a search
 * more than its candidate list on a small library (the view decodes a 1,000-element anyarray through text, and a
 * query read it once for its own terms and again for its expansions). The statistics change only when the table is
 * analysed, and every search's first statement reports when that last happened (`analyzedAt`), so the copy here is
 * never older than one search after an ANALYZE. A copy is also dropped after MAX_AGE_MS, for servers that do not
 * track counts (there the analysis time stays unknown).
 */
export interface LexemeShares {
  /** When the table was last analysed (null: never, or not tracked), as PostgreSQL reported it. */
  analyzedAt: string | null;
  loadedAt: number;
  shares: Map<string, number>;
  /** The least common listed lexeme's share: what an unlisted lexeme can be at most. */
  floor: number | null;
}

const MAX_AGE_MS = 60_000;

/** SQL for the first statement of a search: when prompt was last analysed, by hand or by autovacuum. */
export const ANALYZED_AT_SQL = `(SELECT greatest(pg_stat_get_last_analyze_time(c), pg_stat_get_last_autoanalyze_time(c))::text
                                  FROM to_regclass('prompt') AS c)`;

/** One copy per database: the key is the database's client (a WeakMap, so a closed one is forgotten). */
const copies = new WeakMap<object, LexemeShares>();

export async function lexemeShares(key: object, q: Db | Tx, analyzedAt: string | null, now = Date.now()): Promise<LexemeShares> {
  const held = copies.get(key);
  if (held && held.analyzedAt === analyzedAt && now - held.loadedAt < MAX_AGE_MS) return held;
  const [row] = await q.$queryRawUnsafe<{ e: string[] | null; f: number[] | null }[]>(
    `SELECT most_common_elems::text::text[] AS e, most_common_elem_freqs AS f
       FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'prompt' AND attname = 'search_tsv'`,
  );
  const shares = new Map<string, number>();
  const e = row?.e ?? [];
  const f = row?.f ?? [];
  e.forEach((lexeme, i) => {
    const share = f[i];
    if (share !== undefined) shares.set(lexeme, share);
  });
  // most_common_elem_freqs holds one share per element, then the least and the greatest of them and the share of
  // nulls (PostgreSQL's pg_stats documentation).
  const copy: LexemeShares = { analyzedAt, loadedAt: now, shares, floor: e.length > 0 ? (f[e.length] ?? null) : null };
  copies.set(key, copy);
  return copy;
}

/** A lexeme's share of prompts: listed, or as rare as `fallback` but never more common than the least listed one. */
export function shareOf(stats: LexemeShares, lexeme: string, fallback: number): number {
  return stats.shares.get(lexeme) ?? (stats.floor === null ? fallback : Math.min(fallback, stats.floor));
}

/** A lexeme as a tsquery literal (quoted; backslashes and quotes doubled). */
export function lexemeLiteral(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

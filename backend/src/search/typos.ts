import type { Db, Tx } from '../db/prisma.js';
import { isCommonWord } from './commonWords.js';

/**
 * Typo tolerance and prefix search, on the workspace's vocabulary (table search_word, kept by triggers on prompt:
 * migration 20261202100000_typos_search_word).
 *
 * - A query word that matches nothing (neither as written nor by its English stem) gets candidates: vocabulary
 *   words within an edit distance that grows with the word's length, as Typesense's defaults (`min_len_1typo` 4,
 *   `min_len_2typo` 7, `num_typos` 2): none under 4 characters, 1 from 4 to 6, 2 from 7. The distance is optimal
 *   string alignment (an adjacent transposition is one typo). A word that matches something is never corrected, so a
 *   query whose every word is found runs exactly as before.
 * - The last word is also a prefix (unless it is a word of the workspace of 4 characters or more): its most frequent
 *   completions join the query.
 * Candidates enter the full-text query as extra BM25 terms with weights below 1 (search.ts), so a prompt holding
 * what was typed ranks above one holding only a correction.
 */

/** Typesense's `min_len_1typo` and `min_len_2typo` (typesense.org/docs, search parameters). */
export const MIN_LENGTH_ONE_TYPO = 4;
export const MIN_LENGTH_TWO_TYPOS = 7;
/** Candidates kept per misspelt word (Typesense's `max_candidates` is 4 too). */
export const TYPO_CANDIDATES = 4;
/** Completions of the last word. */
export const PREFIX_CANDIDATES = 4;
/** Vocabulary rows a prefix may read before its completions are ranked (a one-letter prefix at 100k prompts). */
const PREFIX_SCAN_LIMIT = 5000;
/** Query words analysed at most; the rest of a long query runs as written. */
export const MAX_ANALYSED_WORDS = 32;
/** Longest vocabulary word (the migration keeps words up to 32 characters). */
const MAX_WORD_LENGTH = 32;

/** BM25 weight of an extra term, against 1 for a word as typed: a correction with one typo, with two, a completion. */
export const EXPANSION_WEIGHTS = { typo1: 0.6, typo2: 0.4, prefix: 0.8 };

export interface QueryToken {
  /** As typed. */
  text: string;
  start: number;
  end: number;
}

export interface Expansion {
  /** The vocabulary word. */
  word: string;
  /** Index of the query token it stands for. */
  token: number;
  kind: 'typo' | 'prefix';
  /** Edit distance to the token (0 for a completion). */
  distance: number;
  weight: number;
}

export interface QueryAnalysis {
  tokens: QueryToken[];
  /** Tokens that match nothing in the workspace (by index). */
  unknown: Set<number>;
  /** Of those, the common English words (commonWords.ts): likely spelt as meant, only absent from this library. */
  common: Set<number>;
  expansions: Expansion[];
  /** The last token is a prefix being typed: the query ends with it and it is no word of the workspace ("termi"). */
  partialLast: boolean;
}

const TOKEN = /[\p{L}\p{M}\p{N}]+/gu;

/** The query's words with their places, in order (for rebuilding the corrected text). */
export function queryTokens(q: string): QueryToken[] {
  return [...q.matchAll(TOKEN)].slice(0, MAX_ANALYSED_WORDS).map((m) => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
}

/** Typos a word may carry: by its length in characters (code points); none for words with digits (numbers, ids). */
export function typoBudget(word: string): 0 | 1 | 2 {
  if (/\p{N}/u.test(word)) return 0;
  const n = [...word].length;
  if (n > MAX_WORD_LENGTH + 2) return 0;
  return n >= MIN_LENGTH_TWO_TYPOS ? 2 : n >= MIN_LENGTH_ONE_TYPO ? 1 : 0;
}

/**
 * Optimal string alignment distance (Levenshtein plus adjacent transpositions), over code points, or max + 1 when it
 * is larger than max.
 */
export function editDistance(a: string, b: string, max: number): number {
  const s = [...a];
  const t = [...b];
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, (prev2[j - 2] as number) + 1);
      cur.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  const d = prev[t.length] as number;
  return d > max ? max + 1 : d;
}

/** The word with two adjacent characters swapped, at every position (transposition typos). */
function swaps(word: string): string[] {
  const c = [...word];
  const out: string[] = [];
  for (let i = 0; i + 1 < c.length; i++) {
    if (c[i] === c[i + 1]) continue;
    const v = [...c];
    [v[i], v[i + 1]] = [v[i + 1] as string, v[i] as string];
    out.push(v.join(''));
  }
  return out;
}

interface LookupRow {
  n: number;
  key: string;
  /** The English stem (snowball), null for a stop word. */
  stem: string | null;
  known: boolean;
  typos: { w: string; d: number }[] | null;
  completions: { w: string; d: number }[] | null;
}

/**
 * One statement: for each query word, whether the workspace has it (in the vocabulary, or any live prompt matching
 * its English stem, e.g. "tales" for "tale"), and for those it lacks the vocabulary words within reach. Every
 * single-typo neighbour is found: a typo not touching the first letter leaves it in place (a range of the primary
 * key, filtered by length and levenshtein), one on the first letter is an exact lookup (transposition, insertion:
 * the key; deletion, substitution: the tail index). With two typos allowed, pairs that leave the first letter in
 * place are found (two edits, or a transposition and an edit; not two transpositions), and a first-letter typo only
 * alone (as Meilisearch, which counts a typo on the first letter twice).
 * The last word's completions come with it.
 */
export async function analyzeQuery(db: Db | Tx, workspaceId: string, q: string): Promise<QueryAnalysis> {
  const tokens = queryTokens(q);
  const empty: QueryAnalysis = { tokens, unknown: new Set(), common: new Set(), expansions: [], partialLast: false };
  if (tokens.length === 0) return empty;
  const lastIsPrefix = (tokens.at(-1) as QueryToken).end === q.length;
  const budgets = tokens.map((t) => typoBudget(t.text));
  // Lower-cased by PostgreSQL (as the 'simple' configuration does) so keys compare with the vocabulary's words.
  const rows = await db.$queryRawUnsafe<LookupRow[]>(
    `WITH t AS (
       SELECT u.n::int AS n, lower(u.w) COLLATE "C" AS key, u.k AS k, u.sw AS sw, u.n = $5 AS last
         FROM unnest($2::text[], $3::int[], $4::text[]) WITH ORDINALITY AS u(w, k, sw, n)
     ),
     k AS MATERIALIZED (
       SELECT t.n, EXISTS (SELECT 1 FROM search_word s WHERE s.workspace_id = $1::uuid AND s.word = t.key)
                OR EXISTS (SELECT 1 FROM prompt p
                            WHERE p.workspace_id = $1::uuid AND p.deleted_at IS NULL
                              AND p.search_tsv @@ (SELECT CASE WHEN numnode(e) > 0 THEN e ELSE plainto_tsquery('simple'::regconfig, t.key) END
                                                     FROM plainto_tsquery('english'::regconfig, t.key) AS e)) AS known
         FROM t
     )
     SELECT t.n, t.key, (ts_lexize('english_stem', t.key))[1] AS stem, k.known,
            CASE WHEN NOT k.known AND t.k > 0 THEN (
              SELECT json_agg(json_build_object('w', c.word, 'd', c.ndoc)) FROM (
                -- Same first letter: a range of the primary key (bytewise order; chr(1114111) sorts last).
                SELECT s.word, s.ndoc FROM search_word s
                 WHERE s.workspace_id = $1::uuid AND s.word >= left(t.key, 1) AND s.word < left(t.key, 1) || chr(1114111)
                   AND char_length(s.word) BETWEEN char_length(t.key) - t.k AND char_length(t.key) + t.k
                   -- With two typos, one may be a transposition (two Levenshtein edits): 3 here, the exact
                   -- distance is checked on what comes back.
                   AND levenshtein_less_equal(t.key, s.word, t.k + t.k / 2) <= t.k + t.k / 2
                UNION
                -- Transpositions anywhere, a letter inserted before the first.
                SELECT s.word, s.ndoc FROM search_word s
                 WHERE s.workspace_id = $1::uuid AND s.word = ANY(string_to_array(t.sw, ' ') || substr(t.key, 2))
                UNION
                -- The first letter deleted, or substituted.
                SELECT s.word, s.ndoc FROM search_word s
                 WHERE s.workspace_id = $1::uuid AND substr(s.word, 2) = t.key
                UNION
                SELECT s.word, s.ndoc FROM search_word s
                 WHERE s.workspace_id = $1::uuid AND substr(s.word, 2) = substr(t.key, 2) AND s.word <> t.key
              ) c) END AS typos,
            CASE WHEN t.last AND $6 THEN (
              SELECT json_agg(json_build_object('w', c.word, 'd', c.ndoc) ORDER BY c.ndoc DESC, c.word) FROM (
                SELECT p.word, p.ndoc FROM (
                  SELECT s.word, s.ndoc FROM search_word s
                   WHERE s.workspace_id = $1::uuid AND s.word > t.key AND s.word < t.key || chr(1114111)
                   LIMIT ${PREFIX_SCAN_LIMIT}
                ) p ORDER BY p.ndoc DESC, p.word LIMIT ${PREFIX_CANDIDATES}
              ) c) END AS completions
       FROM t JOIN k ON k.n = t.n
      ORDER BY t.n`,
    workspaceId,
    tokens.map((t) => t.text),
    budgets,
    tokens.map((t, i) => {
      const b = budgets[i] as number;
      if (b === 0) return '';
      // The transpositions, looked up exactly.
      return swaps(t.text.toLowerCase()).join(' ');
    }),
    tokens.length,
    lastIsPrefix,
  );
  const unknown = new Set<number>();
  const common = new Set<number>();
  const expansions: Expansion[] = [];
  let partialLast = false;
  for (const r of rows) {
    const i = r.n - 1;
    const budget = budgets[i] as number;
    if (!r.known) unknown.add(i);
    if (!r.known && isCommonWord(r.key, r.stem)) common.add(i);
    const typos = (r.typos ?? [])
      .map((c) => ({ word: c.w, ndoc: c.d, distance: editDistance(r.key, c.w, budget) }))
      .filter((c) => c.distance <= budget && c.distance > 0 && !/\p{N}/u.test(c.word))
      .sort((a, b) => a.distance - b.distance || b.ndoc - a.ndoc || (a.word < b.word ? -1 : 1))
      .slice(0, TYPO_CANDIDATES);
    for (const c of typos) {
      expansions.push({ word: c.word, token: i, kind: 'typo', distance: c.distance, weight: c.distance === 1 ? EXPANSION_WEIGHTS.typo1 : EXPANSION_WEIGHTS.typo2 });
    }
    // A last word that is a word of its own and long enough to carry a typo is taken as typed, so a query of
    // whole words runs as before; a shorter one ("ter", found in some prompt) is more likely a prefix being typed.
    if (r.completions && !(r.known && [...r.key].length >= MIN_LENGTH_ONE_TYPO)) {
      partialLast = !r.known;
      for (const c of r.completions) expansions.push({ word: c.w, token: i, kind: 'prefix', distance: 0, weight: EXPANSION_WEIGHTS.prefix });
    }
  }
  return { tokens, unknown, common, expansions, partialLast };
}

/** The replacement written the way the user wrote the word: Capitalised, UPPER or lower. */
function likeTyped(typed: string, word: string): string {
  const first = [...typed][0] ?? '';
  if (typed.length > 1 && typed === typed.toUpperCase() && typed !== typed.toLowerCase()) return word.toUpperCase();
  if (first !== first.toLowerCase()) return word.charAt(0).toUpperCase() + word.slice(1);
  return word;
}

/**
 * What the query became: each token replaced by the expansion chosen for it (others as typed). Null when nothing
 * was replaced.
 */
export function rewrite(q: string, tokens: QueryToken[], chosen: Map<number, string>): string | null {
  if (chosen.size === 0) return null;
  let out = '';
  let at = 0;
  tokens.forEach((t, i) => {
    const w = chosen.get(i);
    if (w === undefined) return;
    out += q.slice(at, t.start) + likeTyped(t.text, w);
    at = t.end;
  });
  return out + q.slice(at);
}

/**
 * The expansions a ranked prompt confirms: for each token, the expansion that contributed most to the prompt's
 * score (`hits`: expansion indexes, best first). Completions count only for a last word being typed (one that is a
 * word of its own means what it says).
 */
export function confirmed(analysis: QueryAnalysis, hits: number[]): Map<number, Expansion> {
  const out = new Map<number, Expansion>();
  for (const h of hits) {
    const e = analysis.expansions[h];
    if (!e || out.has(e.token)) continue;
    if (e.kind === 'prefix' && !analysis.partialLast) continue;
    out.set(e.token, e);
  }
  return out;
}

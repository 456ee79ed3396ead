import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Db, Tx } from '../db/prisma.js';
import { fail, notFound } from '../domain/errors.js';
import { listFolders, type FolderWithPath } from '../domain/folders/folders.js';
import { decodeCursor, encodeCursor } from '../domain/pagination.js';
import type { Embedder } from './embedder/index.js';
import { QueryVectorCache } from './queryCache.js';
import { ANALYZED_AT_SQL, lexemeLiteral, lexemeShares, shareOf } from './lexemeStats.js';
import { analyzeQuery, confirmed, rewrite, type Expansion, type QueryAnalysis } from './typos.js';
import { vectorLiteral } from './vectors.js';
import { webSearchText } from './websearch.js';

export type SearchMode = 'hybrid' | 'fulltext' | 'semantic';
export type MatchedBy = 'fulltext' | 'trigram' | 'semantic';

export interface SearchParams {
  q: string;
  mode?: SearchMode;
  /** A folder id or path: the folder and its whole subtree. */
  folder?: string | undefined;
  /** Prompts carrying all of these tags. */
  tags?: string[] | undefined;
  /** Prompts created by this user id. */
  author?: string | undefined;
  updatedSince?: Date | undefined;
  limit?: number;
  cursor?: string | undefined;
}

export interface SearchItem {
  id: string;
  slug: string;
  path: string;
  title: string;
  description: string;
  tags: string[];
  folderId: string | null;
  createdById: string | null;
  createdAt: Date;
  updatedAt: Date;
  score: number;
  /** HTML-escaped text with the matched words in <mark>…</mark>. */
  snippet: string;
  matchedBy: MatchedBy[];
}

export interface SearchResult {
  items: SearchItem[];
  facets: { tags: { tag: string; count: number }[]; folders: { folderId: string | null; path: string; count: number }[] };
  nextCursor: string | null;
  /** The mode that ran: hybrid falls back to fulltext when no embedder is available. */
  mode: SearchMode;
  /** Prompts of the workspace whose vectors are not computed yet (semantic results may miss them). */
  pending: number;
  /** Size of the ranked result set the facets count (capped at MAX_CANDIDATES). */
  total: number;
  /** The query with its misspelt words corrected, as the best full-text match holds them; null when none was. */
  corrected: string | null;
}

/**
 * How the lists are fused in hybrid mode: a convex combination of the two normalised scores, plus a typo term:
 *   score = semantic·cos(query, prompt) + fulltext·(bm25 / best bm25 of the query)
 *         + trigram·word_similarity(query, title or tags)
 * Cosine is used raw (it is comparable across queries); BM25 is not, so it is scaled by the query's best score
 * (the top lexical match gets 1). See docs/BENCHMARKS.md ("search") for how these were chosen.
 */
export interface FusionWeights {
  semantic: number;
  fulltext: number;
  trigram: number;
}

/**
 * fulltext 0.1 (semantic 0.9), chosen by cross-validation on search-dev-queries.json (`npm run bench -- search`,
 * `cross_validation`): leave-one-out picks 0.1 for every one of the 30 queries, and the held-out score equals the
 * full-set one (recall@10 0.90, MRR@10 0.82; semantic alone 0.85 / 0.75); 0.08–0.12 all reach MRR 0.80. The trigram
 * term fires only when most of the query's trigrams are in a title or tag (word_similarity ≥ 0.5: names and
 * misspelt titles, where a query vector is least reliable) and then decides.
 */
export const DEFAULT_WEIGHTS: FusionWeights = { semantic: 0.9, fulltext: 0.1, trigram: 0.5 };

/**
 * BM25 over the weighted tsvector (search_tsv): per query term t,
 *   idf(t) · tf / (tf + k1 · (1 − b + b · |d| / pivot)),   tf = ts_rank_cd(FIELD_WEIGHTS, d, t, 0)
 * ts_rank_cd of a single term is the sum of its occurrences' field weights (a field-weighted term frequency, as in
 * BM25F); idf comes from ANALYZE's lexeme frequencies (most_common_elems). Field weights {D body, C description,
 * B tags, A title}; k1 is in the same units (1.2 with the title at 3).
 * |d| is the prompt's length in characters (the generated column search_chars), which grows with the text as the
 * occurrence counts do. (It was the number of distinct lexemes, which grows far slower: long prompts were barely
 * normalised and won plain queries by repeating common words; fixing the unit raised full-text MRR@10 on the dev
 * queries from 0.38 to 0.45 and hybrid from 0.79 to 0.82 with every other parameter unchanged.)
 * The pivot is fixed, about a typical prompt (median 920 characters on awesome-chatgpt-prompts.csv), not the
 * workspace's average: a prompt's score then depends on nothing but the prompt and the query (not on filters or on
 * which other prompts were candidates), and no statement has to read every row to average them.
 */
export const BM25 = { fieldWeights: [1 / 6, 1 / 3, 1 / 3, 1] as const, k1: 0.4, b: 0.75, pivot: 1000 };

export interface SearchOptions {
  /** Null or undefined: no semantic search (hybrid runs as fulltext, semantic is refused). */
  embedder?: Embedder | null;
  queryCache?: QueryVectorCache;
  weights?: FusionWeights;
  /** HNSW candidate list size; iterative scans continue past it when filters remove rows. */
  efSearch?: number;
  /** Workspaces with at most this many live prompts get an exact kNN instead of the HNSW index. */
  exactKnnMaxPrompts?: number;
  /** Typo tolerance and prefix search (typos.ts); default on. Off, a query runs word for word (the benches' baseline). */
  typoTolerance?: boolean;
}

export const MAX_QUERY_LENGTH = 500;
/**
 * Up to this many live prompts in a workspace, the semantic list is an exact kNN (every vector of the workspace
 * compared, through the workspace index): ~1.5 µs a prompt in the whole statement on this machine (p50 15 ms at
 * 10,000), and it never misses. The HNSW index is approximate and holds every workspace's vectors, so for a small
 * workspace most of what its graph search visits is filtered out, and near-duplicate prompts (forks, copies with a
 * changed line) are what its greedy search handles worst: on the bench's generated 10,000-prompt workspace in a
 * 110,000-row table, HNSW found 0.35 recall@10 at the same latency where exact found 0.82. Larger workspaces use
 * the index.
 */
export const EXACT_KNN_MAX_PROMPTS = 10_000;
/** Depth of each ranked list, and the most results one query can page through. */
export const MAX_CANDIDATES = 1000;
const MIN_DEPTH = 100;
/** word_similarity above which a title or tag counts as a (possibly misspelt) match of the query. */
export const TRIGRAM_THRESHOLD = 0.5;
export const TRIGRAM_MAX_WORDS = 6;
/**
 * Terms in more than this share of prompts do not select candidates (they still count in the score of the prompts
 * the other terms find), unless all the query's terms are that common: "write", "act" or a tag on most prompts
 * would otherwise make every prompt a match at 100k.
 */
export const COMMON_LEXEME_FREQUENCY = 0.1;
/** idf of a term absent from ANALYZE's most common lexemes: as if it were in this share of prompts, capped by the stats. */
const DEFAULT_TERM_FREQUENCY = 0.001;
/** Full-text matches ranked per query, at most (the first found by the GIN index). */
export const MATCH_CAP = 1000;
const SNIPPET_SOURCE_CHARS = 4_000;
const MARK_START = '\u0001';
const MARK_END = '\u0002';

const defaultCache = new QueryVectorCache(1000);

interface CandidateRow {
  id: string;
  rank: number | null;
  /** Expansions (typo corrections, completions) the prompt holds, by index, the most contributing first. */
  hits: number[] | null;
  /** How many of the query's own terms (as typed) the prompt holds; counted only when the query has expansions. */
  own: number | null;
  tri: number | null;
  in_sem: boolean;
  cos: number | null;
  tags: string[];
  folder_id: string | null;
}

interface Candidate {
  id: string;
  score: number;
  matchedBy: MatchedBy[];
  tags: string[];
  folderId: string | null;
  lexical: boolean;
  /** The full-text-mode score (BM25 share + trigram), whatever the mode: what confirms a correction. */
  lexScore: number;
  hits: number[] | null;
  own: number | null;
}

/** Quotes, a leading minus or OR: the user wrote web-search syntax, so the query is taken literally (AND). */
export function isAdvancedQuery(q: string): boolean {
  return /"/.test(q) || /(^|\s)-[\p{L}\p{N}]/u.test(q) || /(^|\s)or(\s|$)/i.test(q);
}

/** Words of the query (the trigram list runs for short queries only). */
export function queryWords(q: string): string[] {
  return [...new Set(q.match(/[\p{L}\p{N}]+/gu) ?? [])].slice(0, 64);
}

/** A page of one ranked list: its offset, and the fingerprint of the query and filters that ranked it. */
const SearchCursor = z.strictObject({ o: z.number().int().min(0).max(MAX_CANDIDATES), f: z.string() });

function fingerprint(workspaceId: string, p: SearchParams, mode: SearchMode): string {
  const key = JSON.stringify([workspaceId, p.q, mode, p.folder ?? null, [...(p.tags ?? [])].sort(), p.author ?? null, p.updatedSince?.toISOString() ?? null]);
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

function offsetOf(cursor: string | undefined, expected: string): number {
  const parsed = decodeCursor(cursor, SearchCursor);
  if (parsed === undefined) return 0;
  if (parsed.f !== expected) fail('invalid_cursor', 'the cursor belongs to another query or other filters; start again without it');
  return parsed.o;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** ts_headline output with private markers → HTML-escaped text with <mark> around matches. */
export function markSnippet(raw: string): string {
  return escapeHtml(raw.replace(/\s+/g, ' ').trim())
    .replaceAll(MARK_START, '<mark>')
    .replaceAll(MARK_END, '</mark>');
}

function plainSnippet(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return escapeHtml(t.length <= max ? t : `${t.slice(0, max).replace(/\s+\S*$/, '')} …`);
}

function resolveFolder(folders: FolderWithPath[], ref: string): string[] {
  const trimmed = ref.replace(/^\/+|\/+$/g, '');
  const folder = folders.find((f) => f.id === ref) ?? folders.find((f) => f.path === trimmed);
  if (!folder) return notFound(`folder "${ref}"`);
  return folders.filter((f) => f.id === folder.id || f.path.startsWith(folder.path + '/')).map((f) => f.id);
}

/**
 * Searches the live prompts of one workspace. Full text (BM25 over the weighted tsvector of every field: any word
 * for plain queries, web-search syntax taken literally otherwise), trigram titles/tags (typos) and kNN over
 * embeddings, fused (hybrid: a convex combination) or alone.
 */
export async function search(
  db: Db,
  actor: { workspaceId: string },
  params: SearchParams,
  options: SearchOptions = {},
): Promise<SearchResult> {
  const q = params.q.trim();
  if (q === '') fail('validation_failed', 'q: must not be empty');
  if (q.length > MAX_QUERY_LENGTH) fail('validation_failed', `q: must be at most ${MAX_QUERY_LENGTH} characters`);
  const limit = params.limit ?? 20;
  const requested = params.mode ?? 'hybrid';
  const embedder = options.embedder ?? null;
  if (requested === 'semantic' && !embedder) fail('unavailable', 'semantic search is not configured on this server (no embedder)');
  const weights = options.weights ?? DEFAULT_WEIGHTS;
  const exactMax = options.exactKnnMaxPrompts ?? EXACT_KNN_MAX_PROMPTS;
  const workspaceId = actor.workspaceId;
  const advanced = isAdvancedQuery(q);

  // Typos and the last word's completions, from the workspace's vocabulary (plain queries: web-search syntax is
  // taken literally). Outside the transaction, like the query vector, which may depend on it.
  let analysis = requested !== 'semantic' && !advanced && options.typoTolerance !== false ? await analyzeQuery(db, workspaceId, q) : null;
  const hybrid = requested === 'hybrid' && embedder !== null;
  // Words the workspace lacks are corrected only when a correction makes the query match more of itself than it
  // does as typed (confirmedBy): a first, shallow full-text pass decides, and the candidates of a word it does not
  // confirm are dropped (a correctly spelt word the library lacks, "taxes" next to "tales", "tooth" next to
  // "booth", leaves the query as it was). Hybrid then embeds what the query meant: the confirmed corrections, and
  // the completion of a last word being typed.
  let corrected: string | null = null;
  let text = q;
  if (analysis && (hasTypos(analysis) || (hybrid && analysis.partialLast))) {
    const a = analysis;
    const pre = await db.$transaction(
      (tx) => rank(tx, { statsKey: db, workspaceId, q, analysis: a, mode: 'fulltext', vector: null, exactMax, model: null, depth: CONFIRM_DEPTH, params, weights }),
      TRANSACTION_LIMITS,
    );
    const chosen = confirmedBy(a, pre.ranked);
    analysis = { ...a, expansions: a.expansions.filter((e) => e.kind === 'prefix' || chosen.get(e.token)?.kind === 'typo') };
    const typos = new Map([...chosen].filter(([, e]) => e.kind === 'typo').map(([t, e]) => [t, e.word]));
    corrected = rewrite(q, a.tokens, typos);
    text = rewrite(q, a.tokens, new Map([...chosen].map(([t, e]) => [t, e.word]))) ?? q;
  }

  let mode: SearchMode = requested;
  let vector: Float32Array | null = null;
  if (requested !== 'fulltext' && embedder) {
    try {
      vector = await (options.queryCache ?? defaultCache).get(embedder, requested === 'hybrid' ? text : q);
    } catch (err) {
      if (requested === 'semantic') fail('unavailable', `the embedder failed: ${(err as Error).message}`);
      mode = 'fulltext'; // hybrid degrades to what it can still do
    }
  } else if (requested === 'hybrid') {
    mode = 'fulltext';
  }

  const fp = fingerprint(workspaceId, params, mode);
  const offset = offsetOf(params.cursor, fp);
  const depth = Math.min(MAX_CANDIDATES, Math.max(MIN_DEPTH, offset + limit));

  return db.$transaction(
    async (tx) => {
      const ranked0 = await rank(tx, { statsKey: db, workspaceId, q, analysis, mode, vector, exactMax, model: embedder?.model ?? null, depth, params, weights, efSearch: options.efSearch });
      const { ranked, tsq } = ranked0;
      let folders = ranked0.folders;
      const page = ranked.slice(offset, offset + limit);
      const details = await pageDetails(tx, workspaceId, tsq.headline, page.map((c) => c.id), page.filter((c) => c.lexical).map((c) => c.id));
      // Paths only when some result sits in a folder (a library without folders saves the query).
      if (!folders && ranked.some((c) => c.folderId !== null)) folders = await listFolders(tx, workspaceId);
      const byFolder = new Map((folders ?? []).map((f) => [f.id, f]));
      const items: SearchItem[] = [];
      for (const c of page) {
        const d = details.rows.get(c.id);
        if (!d) continue; // deleted between the two statements (same transaction: cannot happen, but be safe)
        const folder = d.folder_id ? byFolder.get(d.folder_id) : undefined;
        items.push({
          id: d.id,
          slug: d.slug,
          path: folder ? `${folder.path}/${d.slug}` : d.slug,
          title: d.title,
          description: d.description,
          tags: d.tags,
          folderId: d.folder_id,
          createdById: d.created_by_id,
          createdAt: d.created_at,
          updatedAt: d.updated_at,
          score: Math.round(c.score * 1e6) / 1e6,
          snippet: d.headline !== null && d.headline.includes(MARK_START) ? markSnippet(d.headline) : plainSnippet(d.description || d.excerpt),
          matchedBy: c.matchedBy,
        });
      }
      return {
        items,
        facets: facets(ranked, byFolder),
        nextCursor: offset + limit < ranked.length ? encodeCursor({ o: offset + limit, f: fp } satisfies z.input<typeof SearchCursor>) : null,
        mode,
        pending: details.pending,
        total: ranked.length,
        corrected,
      };
    },
    TRANSACTION_LIMITS,
  );
}

/** Prisma's defaults (2 s to get a connection, 5 s to finish) fail searches on a loaded machine or a large workspace. */
const TRANSACTION_LIMITS = { maxWait: 10_000, timeout: 30_000 };

/**
 * Depth of the full-text pass that confirms corrections: deep enough that the prompt holding most of the query as
 * typed is among them (a correction of a rare word can outscore it on BM25 alone).
 */
const CONFIRM_DEPTH = 20;

/** Whether some word the workspace lacks got correction candidates. */
function hasTypos(a: QueryAnalysis): boolean {
  return a.expansions.some((e) => e.kind === 'typo');
}

/**
 * The corrections (and the completion of a last word being typed) the query is taken to mean, from the first
 * full-text pass. A correction has to make the query match more of itself than it does as typed:
 * - those of the candidate that holds the most of the query's words (its own terms as typed plus the words
 *   corrected through an expansion; ties by full-text score) are kept, and only if that is more words than any
 *   candidate holds of the query as typed. BM25 alone cannot decide this: a correction to a rare word scores high
 *   on its idf in a prompt that has nothing else of the query ("tales" for "taxes" in "bookkeeping and taxes for a
 *   small business").
 * - a common English word the library lacks ("taxes", "colours" next to "color") is taken as meant, and not
 *   corrected, once some prompt holds any of the query as typed: it is a word of the language, only not of this
 *   library, and a correction would change what a correctly spelt query finds. A query that matches nothing as
 *   typed is corrected whatever its words (Typesense's rule). Names cannot be told from typos by any list; the
 *   first rule is what guards them.
 */
function confirmedBy(analysis: QueryAnalysis, ranked: Candidate[]): Map<number, Expansion> {
  const typed = Math.max(0, ...ranked.map((c) => c.own ?? 0));
  let best: { c: Candidate; chosen: Map<number, Expansion>; words: number } | undefined;
  for (const c of ranked) {
    if (!c.hits?.length) continue;
    const chosen = confirmed(analysis, c.hits);
    if (typed > 0) for (const t of analysis.common) chosen.delete(t);
    const words = (c.own ?? 0) + chosen.size;
    if (!best || words > best.words || (words === best.words && c.lexScore > best.c.lexScore)) best = { c, chosen, words };
  }
  return best && best.words > typed ? best.chosen : new Map();
}

interface RankArgs {
  /** The database's client: whose copy of the lexeme statistics to use (lexemeStats.ts). */
  statsKey: object;
  workspaceId: string;
  q: string;
  analysis: QueryAnalysis | null;
  mode: SearchMode;
  vector: Float32Array | null;
  exactMax: number;
  model: string | null;
  depth: number;
  params: SearchParams;
  weights: FusionWeights;
  efSearch?: number | undefined;
}

/** The ranked candidates of one query in one mode (settings, the query's lexemes, the candidate lists, fusion). */
async function rank(tx: Tx, a: RankArgs): Promise<{ ranked: Candidate[]; tsq: LexicalQuery; folders: FolderWithPath[] | null }> {
  const { workspaceId, q, vector, depth } = a;
  const expansions = a.analysis?.expansions ?? [];
  // Settings for this transaction only, and the query's tsqueries computed once (as constants the planner can
  // estimate and match to the GIN indexes).
  const [prep] = await tx.$queryRawUnsafe<Prepared[]>(
    // enable_seqscan off: every list below has an index (GIN tsvector, GIN trigram, HNSW or the workspace
    // b-trees), but the planner's estimates for trigram and tsquery matches are poor, and a sequential scan
    // computing word_similarity on every row costs ten times the index.
    `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true),
            -- Live prompts, counted up to the exact-kNN limit (an index-only scan that stops there).
            (SELECT count(*) FROM (SELECT 1 FROM prompt WHERE workspace_id = $4::uuid AND deleted_at IS NULL LIMIT $5) s)::int AS live,
            set_config('pg_trgm.word_similarity_threshold', $2, true), set_config('enable_seqscan', 'off', true),
            -- Web-search syntax, taken literally (advanced queries; $6 is the query rebuilt from its tokens, see
            -- websearch.ts): English (stemmed, stop words dropped); 'simple' only when English leaves nothing,
            -- e.g. "the who".
            (SELECT CASE WHEN numnode(e) > 0 THEN e ELSE websearch_to_tsquery('simple'::regconfig, $6) END
               FROM websearch_to_tsquery('english'::regconfig, $6) AS e)::text AS strict,
            -- The query's distinct lexemes (the BM25 terms; their shares of prompts come from lexemeStats.ts).
            (SELECT array_agg(l)
               FROM (SELECT CASE WHEN length(e) > 0 THEN e ELSE to_tsvector('simple'::regconfig, $3) END AS v
                       FROM to_tsvector('english'::regconfig, $3) AS e) x
                    CROSS JOIN unnest(tsvector_to_array(x.v)) AS l) AS terms,
            -- The same for each expansion (typo corrections, completions), by its index, as the word itself (the
            -- 'simple' half of search_tsv): a prompt matches the very word it holds, which is what confirms it.
            (SELECT json_agg(json_build_object('i', x.i - 1, 'l', l))
               FROM (SELECT y.i, to_tsvector('simple'::regconfig, y.w) AS v FROM unnest($7::text[]) WITH ORDINALITY AS y(w, i)) x
                    CROSS JOIN unnest(tsvector_to_array(x.v)) AS l) AS extra,
            ${ANALYZED_AT_SQL} AS analyzed_at`,
    String(a.efSearch ?? Math.min(1000, Math.max(100, depth))),
    String(TRIGRAM_THRESHOLD),
    q,
    workspaceId,
    vector ? a.exactMax + 1 : 0,
    webSearchText(q),
    expansions.map((e) => e.word),
  );
  const exact = vector !== null && (prep?.live ?? Infinity) <= a.exactMax;
  const stats = await lexemeShares(a.statsKey, tx, prep?.analyzed_at ?? null);
  const share = (l: string) => shareOf(stats, l, DEFAULT_TERM_FREQUENCY);
  const terms = (prep?.terms ?? []).map((l) => ({ t: lexemeLiteral(l), f: share(l) }));
  const extra = (prep?.extra ?? []).map((x) => ({ i: x.i, t: lexemeLiteral(x.l), f: share(x.l) }));
  const tsq = lexicalQuery(prep?.strict ?? '', terms, isAdvancedQuery(q), expansions, extra);
  const folders = a.params.folder ? await listFolders(tx, workspaceId) : null;
  const folderIds = a.params.folder ? resolveFolder(folders ?? [], a.params.folder) : null;
  const rows = await candidates(tx, { workspaceId, q, tsq, mode: a.mode, vector, exact, model: a.model, depth, folderIds, params: a.params });
  return { ranked: fuse(rows, a.mode, a.weights), tsq, folders };
}

interface Prepared {
  live: number;
  strict: string | null;
  terms: string[] | null;
  extra: { i: number; l: string }[] | null;
  analyzed_at: string | null;
}

/** What the full-text list runs: the tsquery that selects candidates and the BM25 terms that rank them. */
export interface LexicalQuery {
  /** Selects the candidates: the web-search query (advanced), or any of the query's not-too-common terms. */
  match: string;
  /** The query's lexemes as single-term tsqueries, with their idf, then those of its expansions. */
  terms: string[];
  idf: number[];
  /** BM25 weight of each term: 1 for the query's own, below for expansions (typos.ts EXPANSION_WEIGHTS). */
  weights: number[];
  /** The expansion each term comes from (-1: the query's own). */
  expansion: number[];
  /** For ts_headline: the terms that ranked the prompt. */
  headline: string;
  advanced: boolean;
}

function idfOf(f: number | null): number {
  const share = Math.min(0.999, Math.max(1e-6, f ?? DEFAULT_TERM_FREQUENCY));
  return Math.log(1 + (1 - share) / share);
}

/**
 * Plain queries: any term matches (OR), over every field including the body; terms in more than
 * COMMON_LEXEME_FREQUENCY of prompts only score. Advanced queries (quotes, -word, or): the web-search query, as
 * written, selects; the same BM25 ranks.
 * Expansions add terms (a lexeme the query has already is not added again) that select candidates by the same rule
 * as the query's own and score with their weight.
 */
export function lexicalQuery(
  strict: string,
  terms: { t: string; f: number | null }[],
  advanced: boolean,
  expansions: Expansion[] = [],
  extra: { i: number; t: string; f: number | null }[] = [],
): LexicalQuery {
  const idf = terms.map(({ f }) => idfOf(f));
  const list = terms.map((x) => x.t);
  const weights = list.map(() => 1);
  const expansion = list.map(() => -1);
  const any = list.join(' | ');
  if (advanced) return { match: strict, terms: list, idf, weights, expansion, headline: strict, advanced };
  const selective = terms.filter(({ f }) => (f ?? 0) <= COMMON_LEXEME_FREQUENCY).map((x) => x.t);
  const selecting: string[] = [];
  for (const x of extra) {
    const e = expansions[x.i];
    if (!e) continue;
    const at = list.indexOf(x.t);
    if (at >= 0) {
      if (expansion[at] === -1) continue; // the query's own term
      if ((weights[at] as number) >= e.weight) continue;
      weights[at] = e.weight;
      expansion[at] = x.i;
    } else {
      list.push(x.t);
      idf.push(idfOf(x.f));
      weights.push(e.weight);
      expansion.push(x.i);
    }
    if ((x.f ?? 0) <= COMMON_LEXEME_FREQUENCY && !selecting.includes(x.t)) selecting.push(x.t);
  }
  const selectors = [...selective, ...selecting];
  return {
    match: selectors.length > 0 ? selectors.join(' | ') : any,
    terms: list,
    idf,
    weights,
    expansion,
    headline: selecting.length > 0 ? [any, ...selecting].filter((s) => s !== '').join(' | ') : any,
    advanced,
  };
}

async function candidates(
  tx: Tx,
  a: {
    workspaceId: string;
    q: string;
    tsq: LexicalQuery;
    mode: SearchMode;
    vector: Float32Array | null;
    /** Rank every candidate vector instead of asking the HNSW index (see EXACT_KNN_MAX_PROMPTS). */
    exact: boolean;
    model: string | null;
    depth: number;
    folderIds: string[] | null;
    params: SearchParams;
  },
): Promise<CandidateRow[]> {
  const values: unknown[] = [];
  const $ = (v: unknown) => {
    values.push(v);
    return `$${values.length}`;
  };
  // The workspace first, always; then the live-only rule and the filters.
  const filters = [`p.workspace_id = ${$(a.workspaceId)}::uuid`, 'p.deleted_at IS NULL'];
  if (a.folderIds) filters.push(`p.folder_id = ANY(${$(a.folderIds)}::uuid[])`);
  if (a.params.tags?.length) filters.push(`p.tags @> ${$(a.params.tags)}::text[]`);
  if (a.params.author) filters.push(`p.created_by_id = ${$(a.params.author)}::uuid`);
  if (a.params.updatedSince) filters.push(`p.updated_at >= ${$(a.params.updatedSince.toISOString())}::timestamptz`);
  const where = filters.join(' AND ');
  const depth = `${$(a.depth)}::int`;
  const lexical = a.mode !== 'semantic';
  const semantic = a.mode !== 'fulltext' && a.vector !== null && a.model !== null;
  const vec = semantic ? `${$(vectorLiteral(a.vector as Float32Array))}::vector` : 'NULL';
  const model = semantic ? `${$(a.model)}::text` : 'NULL';

  const ctes: string[] = [];
  const lists: string[] = [];
  // Typo tolerance is for short queries (names, titles): a long query has too many trigrams to be "similar" to a
  // title, and matching them costs more than the rest of the search.
  if (lexical && queryWords(a.q).length <= TRIGRAM_MAX_WORDS) {
    const qp = `${$(a.q)}::text`;
    ctes.push(`
      tri AS (
        SELECT id, sim FROM (
          SELECT p.id, greatest(word_similarity(${qp}, p.title), word_similarity(${qp}, rocqet_tags_text(p.tags))) AS sim
            FROM prompt p
           WHERE ${where} AND (p.title %> ${qp} OR rocqet_tags_text(p.tags) %> ${qp})
        ) s ORDER BY sim DESC LIMIT ${depth}
      )`);
    lists.push('SELECT id FROM tri');
  }
  if (semantic) {
    ctes.push(`
      sem AS (
        SELECT p.id FROM prompt p
         WHERE ${where} AND p.embedding IS NOT NULL AND p.embedding_model = ${model}
         ORDER BY ${a.exact ? `(p.embedding <=> ${vec}) + 0` /* no index can serve this: exact */ : `p.embedding <=> ${vec}`}
         LIMIT ${depth}
      )`);
    lists.push('SELECT id FROM sem');
  }
  // Full text last: it scores the other lists' candidates too.
  const hasFt = lexical && a.tsq.match !== '' && a.tsq.terms.length > 0;
  if (hasFt) {
    // The matches come from the GIN index (capped: a query matching tens of thousands of prompts is ranked over the
    // first MATCH_CAP found). The matches and the other lists' candidates are scored with BM25 (see BM25), term by
    // term, each tsvector read (detoasted) once (`|| ''` makes the value in memory, so the per-term calls do not
    // detoast it again): a semantic candidate that holds only common query words (which select nothing) still gets
    // its lexical score in the fusion. ft is the lexical list: the best `depth` of the matches. An advanced query
    // scores only what it matches (its syntax is a filter).
    const w = `'{${BM25.fieldWeights.join(',')}}'::float4[]`;
    const others = lists.length === 0 ? '' : `
        UNION ALL
        SELECT p.id, false, p.search_tsv || ''::tsvector, p.search_chars
          FROM (${lists.join(' UNION ')} EXCEPT SELECT id FROM fm) x JOIN prompt p ON p.id = x.id`;
    const scoreAll = a.tsq.advanced ? 'false' : 'true';
    // Which expansions each prompt holds, the most contributing first (to confirm corrections); a query with none
    // skips the aggregate.
    const hits = a.tsq.expansion.some((e) => e >= 0);
    ctes.push(`
      fm AS MATERIALIZED (
        SELECT p.id, p.search_tsv || ''::tsvector AS tsv, p.search_chars AS len FROM prompt p
         WHERE ${where} AND p.search_tsv @@ ${$(a.tsq.match)}::tsquery
         LIMIT ${$(MATCH_CAP)}::int
      ),
      fp AS (
        SELECT id, true AS matched, tsv, len FROM fm${others}
      ),
      fr AS (
        SELECT fp.id, fp.matched, s.rank, s.hits, s.own
          FROM fp LEFT JOIN LATERAL (
            SELECT sum(x.c) AS rank, ${hits ? 'array_agg(x.e ORDER BY x.c DESC, x.e) FILTER (WHERE x.e >= 0)' : 'NULL::int[]'} AS hits,
                   ${hits ? 'count(*) FILTER (WHERE x.e < 0)::int' : 'NULL::int'} AS own
              FROM (SELECT u.e, u.w * u.idf * r.tf / (r.tf + ${BM25.k1}::float8 * (1 - ${BM25.b}::float8 + ${BM25.b}::float8 * fp.len / ${BM25.pivot}::float8)) AS c
                      FROM unnest(${$(a.tsq.terms)}::tsquery[], ${$(a.tsq.idf)}::float8[], ${$(a.tsq.weights)}::float8[], ${$(a.tsq.expansion)}::int[]) AS u(t, idf, w, e)
                           CROSS JOIN LATERAL (SELECT ts_rank_cd(${w}, fp.tsv, u.t, 0)::float8 AS tf) r
                     WHERE r.tf > 0) x
          ) s ON fp.matched OR ${scoreAll}
      ),
      ft AS (SELECT id FROM fr WHERE matched ORDER BY rank DESC NULLS LAST, id LIMIT ${depth})`);
    lists.push('SELECT id FROM ft');
  }
  if (lists.length === 0) return [];
  const hasTri = lists.includes('SELECT id FROM tri');
  const sql = `
    WITH ${ctes.join(',')},
    c AS (${lists.join(' UNION ')})
    SELECT c.id::text AS id,
           ${hasFt ? 'fr.rank::float8' : 'NULL::float8'} AS rank,
           ${hasFt ? 'fr.hits' : 'NULL::int[]'} AS hits,
           ${hasFt ? 'fr.own' : 'NULL::int'} AS own,
           ${hasTri ? 'tri.sim::float8' : 'NULL::float8'} AS tri,
           ${semantic ? 'sem.id IS NOT NULL' : 'false'} AS in_sem,
           ${semantic ? `CASE WHEN p.embedding_model = ${model} THEN (1 - (p.embedding <=> ${vec}))::float8 END` : 'NULL::float8'} AS cos,
           p.tags, p.folder_id::text AS folder_id
      FROM c JOIN prompt p ON p.id = c.id
      ${hasFt ? 'LEFT JOIN fr ON fr.id = c.id' : ''}
      ${hasTri ? 'LEFT JOIN tri ON tri.id = c.id' : ''}
      ${semantic ? 'LEFT JOIN sem ON sem.id = c.id' : ''}`;
  return tx.$queryRawUnsafe<CandidateRow[]>(sql, ...values);
}

/** Orders the candidates by the mode's score; ties by id so pages are stable. */
export function fuse(input: CandidateRow[], mode: SearchMode, w: FusionWeights): Candidate[] {
  // A zero query vector (an embedder's answer to a text of symbols) makes every cosine NaN: no cosine, then.
  const rows = input.map((r) => (r.cos !== null && !Number.isFinite(r.cos) ? { ...r, cos: null } : r));
  const maxRank = Math.max(0, ...rows.map((r) => r.rank ?? 0));
  const cosines = rows.map((r) => r.cos).filter((c): c is number => c !== null).sort((x, y) => y - x);
  // A prompt not embedded yet (or by an older model) has no cosine: it is given the 10th best of this query,
  // so a strong lexical match still reaches the first page while its job is pending.
  const imputed = cosines[Math.min(9, cosines.length - 1)] ?? 0;
  const out: Candidate[] = [];
  for (const r of rows) {
    const ftNorm = r.rank !== null && maxRank > 0 ? r.rank / maxRank : 0;
    const tri = r.tri ?? 0;
    const matchedBy: MatchedBy[] = [];
    if (r.rank !== null) matchedBy.push('fulltext');
    if (r.tri !== null) matchedBy.push('trigram');
    if (r.in_sem) matchedBy.push('semantic');
    let score: number;
    if (mode === 'fulltext') score = ftNorm + tri;
    else if (mode === 'semantic') score = r.cos ?? 0;
    else score = w.semantic * (r.cos ?? imputed) + w.fulltext * ftNorm + w.trigram * tri;
    if (matchedBy.length === 0) continue;
    out.push({ id: r.id, score, matchedBy, tags: r.tags, folderId: r.folder_id, lexical: r.rank !== null, lexScore: ftNorm + tri, hits: r.hits, own: r.own });
  }
  out.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return out.slice(0, MAX_CANDIDATES);
}

function facets(ranked: Candidate[], folders: Map<string, FolderWithPath>): SearchResult['facets'] {
  const tags = new Map<string, number>();
  const byFolder = new Map<string | null, number>();
  for (const c of ranked) {
    for (const t of new Set(c.tags)) tags.set(t, (tags.get(t) ?? 0) + 1);
    byFolder.set(c.folderId, (byFolder.get(c.folderId) ?? 0) + 1);
  }
  const order = <K>(a: [K, number], b: [K, number], name: (k: K) => string) => b[1] - a[1] || name(a[0]).localeCompare(name(b[0]));
  return {
    tags: [...tags].sort((a, b) => order(a, b, (k) => k)).map(([tag, count]) => ({ tag, count })),
    folders: [...byFolder]
      .map(([folderId, count]) => ({ folderId, path: folderId ? (folders.get(folderId)?.path ?? '') : '', count }))
      .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path)),
  };
}

interface DetailRow {
  id: string;
  slug: string;
  title: string;
  description: string;
  tags: string[];
  folder_id: string | null;
  created_by_id: string | null;
  created_at: Date;
  updated_at: Date;
  headline: string | null;
  excerpt: string;
}

async function pageDetails(tx: Tx, workspaceId: string, anyq: string, ids: string[], lexicalIds: string[]) {
  const rows = await tx.$queryRawUnsafe<(DetailRow & { pending: bigint })[]>(
    `SELECT p.id::text AS id, p.slug, p.title, p.description, p.tags, p.folder_id::text AS folder_id,
            p.created_by_id::text AS created_by_id, p.created_at, p.updated_at,
            CASE WHEN p.id = ANY($4::uuid[]) AND $2 <> '' THEN
              ts_headline('english'::regconfig,
                          left(CASE WHEN p.description <> '' THEN p.description || E'\\n' ELSE '' END || p.head_text, ${SNIPPET_SOURCE_CHARS}),
                          $2::tsquery,
                          'StartSel=${MARK_START}, StopSel=${MARK_END}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "')
            END AS headline,
            left(p.head_text, 400) AS excerpt,
            (SELECT count(*) FROM search_job j WHERE j.workspace_id = $1::uuid) AS pending
       FROM prompt p
      WHERE p.workspace_id = $1::uuid AND p.id = ANY($3::uuid[])`,
    workspaceId,
    anyq,
    ids,
    lexicalIds,
  );
  let pending = 0;
  if (rows.length === 0) {
    const [r] = await tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM search_job WHERE workspace_id = ${workspaceId}::uuid`;
    pending = Number(r?.n ?? 0);
  } else pending = Number(rows[0]?.pending ?? 0);
  return { rows: new Map(rows.map((r) => [r.id, r])), pending };
}

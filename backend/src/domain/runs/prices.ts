import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** US dollars per million tokens. `cachedInput`: cache reads; `cacheWrite`: Anthropic's cache writes. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

export interface PriceTable {
  /** The date these list prices were taken from the providers' pricing pages; every cost estimate names it. */
  asOf: string;
  /** provider kind → model id (or prefix, matched longest first: dated snapshots share their family's price). */
  models: Record<string, Record<string, ModelPrice>>;
}

/**
 * The default table. Prices change: this is an estimate with a date, not a bill; ROCQET_RUN_PRICES points at a JSON
 * file of the same shape that replaces entries (and adds models), for negotiated prices or newer ones.
 */
export const DEFAULT_PRICES: PriceTable = {
  asOf: '2025-11-24',
  models: {
    openai: {
      'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
      'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
      'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
      'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
      'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
      'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
      'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
      'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
      o3: { input: 2, cachedInput: 0.5, output: 8 },
      'o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
    },
    anthropic: {
      'claude-opus-4-5': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
      'claude-opus-4-1': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
      'claude-sonnet-4-5': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
      'claude-sonnet-4': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
      'claude-haiku-4-5': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
      'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
    },
  },
};

const Price = z.strictObject({
  input: z.number().min(0),
  output: z.number().min(0),
  cachedInput: z.number().min(0).optional(),
  cacheWrite: z.number().min(0).optional(),
});
const Override = z.strictObject({
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD'),
  models: z.record(z.string(), z.record(z.string(), Price)),
});

/** The default table with a file's entries laid over it (ROCQET_RUN_PRICES); a bad file stops the start. */
export function loadPrices(file: string | undefined): PriceTable {
  if (!file) return DEFAULT_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`ROCQET_RUN_PRICES: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  const result = Override.safeParse(parsed);
  if (!result.success) throw new Error(`ROCQET_RUN_PRICES: ${file}: ${result.error.issues[0]?.path.join('.')}: ${result.error.issues[0]?.message}`);
  const models: PriceTable['models'] = {};
  for (const kind of new Set([...Object.keys(DEFAULT_PRICES.models), ...Object.keys(result.data.models)])) {
    models[kind] = { ...DEFAULT_PRICES.models[kind], ...result.data.models[kind] };
  }
  return { asOf: result.data.asOf, models };
}

/** The entry for a model: exact, else the longest known prefix (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`). */
export function priceOf(table: PriceTable, kind: string, model: string): ModelPrice | undefined {
  // An OpenAI-compatible server's models are its own: priced only when the override file names them under its kind.
  const byKind = table.models[kind];
  if (!byKind) return undefined;
  if (Object.hasOwn(byKind, model)) return byKind[model];
  let best: string | undefined;
  for (const name of Object.keys(byKind)) {
    if (model.startsWith(name + '-') && (!best || name.length > best.length)) best = name;
  }
  return best ? byKind[best] : undefined;
}

export interface TokenCounts {
  inputTokens: number | null;
  outputTokens: number | null;
  cachedInputTokens: number | null;
  cacheWriteTokens?: number | null;
}

/** The estimated cost in US dollars, or null when the model has no price (or no usage was reported). */
export function estimateCost(table: PriceTable, kind: string, model: string, usage: TokenCounts): number | null {
  const price = priceOf(table, kind, model);
  if (!price || usage.inputTokens === null || usage.outputTokens === null) return null;
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheWriteTokens ?? 0;
  const fresh = Math.max(0, usage.inputTokens - cached - written);
  const usd =
    (fresh * price.input + cached * (price.cachedInput ?? price.input) + written * (price.cacheWrite ?? price.input) + usage.outputTokens * price.output) /
    1_000_000;
  return Math.round(usd * 1e10) / 1e10;
}

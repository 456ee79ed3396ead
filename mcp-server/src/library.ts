import {
  RocqetError,
  isRequired,
  isTemplateError,
  parsePrompt,
  problemCodes,
  problemType,
  renderPrompt,
  routes,
  type Client,
  type CachedPrompt,
  type Commit,
  type Me,
  type ParsedPrompt,
  type Prompt,
  type PromptCache,
  type VariableSpec,
} from '@rocqet/sdk';

/** A prompt at one ref, with what MCP needs from its text: the variables as arguments. */
export interface PromptAtRef {
  prompt: Prompt;
  ref: string;
  commit: Commit;
  content: string;
  variables: Variable[];
  /** The parsed text, for rendering without parsing again (undefined when its front matter does not parse). */
  parsed: ParsedPrompt | undefined;
}

export interface Variable {
  name: string;
  description: string | undefined;
  required: boolean;
  default: string | number | boolean | undefined;
  enum: Array<string | number> | undefined;
}

function parseOrNot(content: string): ParsedPrompt | undefined {
  try {
    return parsePrompt(content);
  } catch {
    // A text whose front matter does not parse renders nowhere; it has no arguments to offer.
    return undefined;
  }
}

/** Declared variables first (in the order written), then placeholders nobody declared (required, as strict render treats them). */
export function variablesOf(content: string | ParsedPrompt | undefined): Variable[] {
  const parsed = typeof content === 'string' ? parseOrNot(content) : content;
  if (!parsed) return [];
  const specs: Record<string, VariableSpec> = parsed.frontMatter.variables;
  const out: Variable[] = Object.entries(specs).map(([name, spec]) => ({
    name,
    description: spec.description,
    required: isRequired(spec),
    default: spec.default,
    enum: spec.enum,
  }));
  for (const name of parsed.undeclared) {
    out.push({ name, description: undefined, required: true, default: undefined, enum: undefined });
  }
  return out;
}

interface Memo {
  etag: string;
  value: PromptAtRef;
}

/** What a read keeps between requests: the feed-invalidated cache of the caller's token, or (cache off) ETags. */
export type ReadStore = { cache: PromptCache; renders?: { count(promptId: string): void } } | { memo: Map<string, Memo> };

/** The render route's body schema: values rendered here are checked exactly as the backend checks them. */
const renderBody = routes.render.body!;

/** A render's outcome, as the backend's render route answers it. */
export interface Rendered {
  text: string;
  commit: Commit;
  ref: string;
  used: string[];
  defaulted: string[];
  /** The prompt's declared variables at that commit, when the render was done here (it had the text at hand). */
  variables?: Variable[];
}

/** A template error as the backend's problem for it: callers handle one error type whoever rendered. */
function asProblem(err: unknown): unknown {
  if (!isTemplateError(err)) return err;
  const { status, title } = problemCodes[err.code];
  return new RocqetError(err.code, status, err.message, { ...err.details, type: problemType(err.code), title, status, code: err.code, detail: err.message });
}

/** The cache hands back the same object while an entry stays valid: its variables are parsed once per text. */
const parsed = new WeakMap<CachedPrompt, PromptAtRef>();

function atRef(res: CachedPrompt): PromptAtRef {
  let value = parsed.get(res);
  if (!value) {
    const { content, commit, ref: used, ...prompt } = res;
    const parsedText = parseOrNot(content);
    value = { prompt, ref: used, commit, content, variables: variablesOf(parsedText), parsed: parsedText };
    parsed.set(res, value);
  }
  return value;
}

/**
 * The library as the MCP server reads it, through the sdk client of one caller. Reads of a prompt at a ref go through
 * the sdk's feed-invalidated cache of the caller's token (served from memory while the feed proves them current, so
 * a listing that needs every prompt's variables costs no request per prompt); with the cache off they are
 * revalidated with If-None-Match.
 */
export class Library {
  constructor(
    readonly client: Client,
    readonly me: Me,
    private readonly store: ReadStore,
    readonly defaultRef: string | undefined,
  ) {}

  /** The prompt at `ref`; without one, at the default ref, falling back to the prompt's default branch. */
  async read(path: string, ref?: string): Promise<PromptAtRef> {
    if (ref !== undefined) return this.readExactly(path, ref);
    if (this.defaultRef !== undefined) {
      try {
        return await this.readExactly(path, this.defaultRef);
      } catch (err) {
        if (!(err instanceof RocqetError && err.code === 'ref_not_found')) throw err;
      }
    }
    return this.readExactly(path, undefined);
  }

  /**
   * Renders at `ref`; without one, at the default ref, falling back to the default branch (as `read`). With the feed
   * cache, from the cached text with the sdk's renderPrompt, the function the backend's render route runs, on values
   * checked by that route's own schema, and the render is reported to the backend's counters in a later batch; with
   * the cache off, on the backend (one request, counted there).
   */
  async render(path: string, ref: string | undefined, values: Record<string, string | number | boolean>): Promise<Rendered> {
    if ('cache' in this.store) {
      const checked = renderBody.safeParse({ values });
      if (!checked.success) {
        const detail = checked.error.issues.map((i) => `${['values', ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
        const { status, title } = problemCodes.validation_failed;
        throw new RocqetError('validation_failed', status, detail, { type: problemType('validation_failed'), title, status, code: 'validation_failed', detail });
      }
      const p = await this.read(path, ref);
      let out;
      try {
        out = renderPrompt(p.parsed ?? p.content, checked.data.values, { strict: true });
      } catch (err) {
        throw asProblem(err);
      }
      this.store.renders?.count(p.prompt.id);
      return { text: out.text, commit: p.commit, ref: p.ref, used: out.used, defaulted: out.defaulted, variables: p.variables };
    }
    return this.renderOnBackend(path, ref, values);
  }

  private async renderOnBackend(path: string, ref: string | undefined, values: Record<string, string | number | boolean>): Promise<Rendered> {
    const at = (r: string | undefined) =>
      this.client.render({ params: { prompt: path }, body: { ...(r !== undefined ? { ref: r } : {}), values } });
    if (ref !== undefined || this.defaultRef === undefined) return at(ref);
    try {
      return await at(this.defaultRef);
    } catch (err) {
      if (!(err instanceof RocqetError && err.code === 'ref_not_found')) throw err;
      return at(undefined);
    }
  }

  private async readExactly(path: string, ref: string | undefined): Promise<PromptAtRef> {
    if ('cache' in this.store) return atRef(await this.store.cache.get(path, ref));
    const memo = this.store.memo;
    // Keyed by workspace: a cached text is only ever reused after the backend said 304 to this caller's token.
    const key = `${this.me.workspaceId}\u0000${path}\u0000${ref ?? ''}`;
    const known = memo.get(key);
    const res = await this.client.raw('getPrompt', {
      params: { prompt: path },
      query: ref === undefined ? {} : { ref },
      ...(known ? { headers: { 'if-none-match': known.etag } } : {}),
    });
    if (res.status === 304 && known) return known.value;
    const value = atRef(res.data);
    const etag = res.headers.get('etag');
    if (etag) {
      memo.delete(key);
      memo.set(key, { etag, value });
      if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value!);
    }
    return value;
  }

  /** Runs `fn` over `items` at most `limit` at a time, keeping the order. */
  static async mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return out;
  }

  /** Every live prompt path, for completions (at most `max`). */
  async paths(max = 1000): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listPrompts({ query: { limit: 200, ...(cursor ? { cursor } : {}) } });
      out.push(...page.items.map((p) => p.path));
      cursor = page.nextCursor ?? undefined;
    } while (cursor && out.length < max);
    return out.sort();
  }

  async folders(): Promise<string[]> {
    return (await this.client.listFolders()).items.map((f) => f.path).sort();
  }

  /** Branch and tag names of a prompt. */
  async refs(path: string): Promise<string[]> {
    const [branches, tags] = await Promise.all([
      this.client.listBranches({ params: { prompt: path } }),
      this.client.listTags({ params: { prompt: path } }),
    ]);
    return [...branches.items.map((b) => b.name), ...tags.items.map((t) => t.name)];
  }

  canWrite(): boolean {
    return this.me.scopes.includes('write');
  }
}

const MEMO_LIMIT = 5_000;

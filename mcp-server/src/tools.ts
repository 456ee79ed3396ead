import {
  acceptedContent,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type InputRequiredResult,
  type McpServer,
  type ResourceLink,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { RocqetError, type Commit } from '@rocqet/sdk';
import { z } from 'zod';
import { missingOf, toolError } from './errors.js';
import { ICONS } from './icons.js';
import type { Library, Variable } from './library.js';
import { diffUri, historyUri, promptUri } from './names.js';
import { argumentDescription } from './prompts.js';

const Path = z.string().min(1).max(500).describe('the prompt path, folder/sub/slug (as search_prompts returns it)');
const RefArg = z.string().min(1).max(100).describe('a branch, tag, commit id or #seq');
const CommitOut = z.object({ id: z.string(), seq: z.number(), message: z.string(), author: z.string(), createdAt: z.string() });
const VariableOut = z.object({
  name: z.string(),
  description: z.string().optional(),
  required: z.boolean(),
  default: z.union([z.string(), z.number(), z.boolean()]).optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
});
const Values = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const BranchOut = z.object({ name: z.string(), head: CommitOut });

// Built once: a server instance is made per request, and building zod schemas is most of what that costs.
const searchPromptsInput = z.object({
        query: z.string().min(1).max(500).describe('words, "quoted phrases", -excluded, or: web-search syntax'),
        mode: z.enum(['hybrid', 'fulltext', 'semantic']).optional(),
        folder: z.string().min(1).max(1000).optional().describe('a folder path: results from it and its subfolders'),
        tags: z.array(z.string().min(1).max(50)).max(20).optional().describe('prompts carrying all these tags'),
        updatedSince: z.string().optional().describe('ISO 8601 time with offset'),
        limit: z.number().int().min(1).max(50).optional(),
        cursor: z.string().optional().describe('nextCursor of a previous call'),
      });

const searchPromptsOutput = z.object({
        items: z.array(
          z.object({
            path: z.string(),
            title: z.string(),
            description: z.string(),
            tags: z.array(z.string()),
            score: z.number(),
            snippet: z.string(),
            uri: z.string(),
          }),
        ),
        mode: z.string(),
        total: z.number(),
        nextCursor: z.string().nullable(),
      });

const getPromptInput = z.object({ path: Path, ref: RefArg.optional() });

const getPromptOutput = z.object({
        path: z.string(),
        title: z.string(),
        description: z.string(),
        tags: z.array(z.string()),
        ref: z.string(),
        commit: CommitOut,
        content: z.string(),
        variables: z.array(VariableOut),
      });

const renderPromptInput = z.object({ path: Path, ref: RefArg.optional(), values: Values.optional().describe('variable values by name') });

const renderPromptOutput = z.object({
        text: z.string(),
        path: z.string(),
        ref: z.string(),
        commit: CommitOut,
        used: z.array(z.string()),
        defaulted: z.array(z.string()),
      });

const listVersionsInput = z.object({
        path: Path,
        ref: RefArg.optional(),
        limit: z.number().int().min(1).max(100).optional(),
        cursor: z.string().optional(),
      });

const listVersionsOutput = z.object({
        commits: z.array(CommitOut),
        branches: z.array(z.object({ name: z.string(), head: z.string(), isDefault: z.boolean() })),
        tags: z.array(z.object({ name: z.string(), commit: z.string() })),
        nextCursor: z.string().nullable(),
      });

const diffVersionsInput = z.object({ path: Path, from: RefArg, to: RefArg.optional() });

const diffVersionsOutput = z.object({
        from: CommitOut,
        to: CommitOut,
        unified: z.string(),
        additions: z.number(),
        deletions: z.number(),
      });

const createPromptInput = z.object({
        title: z.string().min(1).max(200),
        content: z.string().max(200_000).describe('Markdown, optionally with YAML front matter declaring variables'),
        slug: z.string().min(1).max(100).optional().describe('defaults to one made from the title'),
        description: z.string().max(2000).optional(),
        tags: z.array(z.string().min(1).max(50)).max(20).optional(),
        folder: z.string().min(1).max(1000).optional().describe('an existing folder path; default: the root'),
        message: z.string().min(1).max(2000).optional(),
      });

const createPromptOutput = z.object({ path: z.string(), commit: CommitOut, uri: z.string() });

const commitPromptInput = z.object({
        path: Path,
        content: z.string().max(200_000),
        message: z.string().min(1).max(2000),
        parent: z.string().describe('the commit id you edited (get_prompt’s commit.id)'),
        branch: z.string().min(1).max(100).optional().describe('default: the default branch'),
      });

const commitPromptOutput = z.object({ path: z.string(), commit: CommitOut, uri: z.string() });

const createBranchInput = z.object({ path: Path, name: z.string().min(1).max(100), from: RefArg.optional() });

const mergeBranchInput = z.object({ path: Path, source: z.string().min(1).max(100), target: z.string().min(1).max(100).optional(), message: z.string().min(1).max(2000).optional() });

const mergeBranchOutput = z.object({ result: z.enum(['fast_forward', 'merged', 'up_to_date']), commit: CommitOut });

const tagVersionInput = z.object({ path: Path, name: z.string().min(1).max(100), ref: RefArg.optional(), message: z.string().max(2000).optional() });

const tagVersionOutput = z.object({ name: z.string(), commit: CommitOut });

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

function commitOut(c: Commit): z.infer<typeof CommitOut> {
  return { id: c.id, seq: c.seq, message: c.message, author: c.author.name, createdAt: c.createdAt };
}

function variableOut(v: Variable): z.infer<typeof VariableOut> {
  return {
    name: v.name,
    required: v.required,
    ...(v.description !== undefined ? { description: v.description } : {}),
    ...(v.default !== undefined ? { default: v.default } : {}),
    ...(v.enum !== undefined ? { enum: v.enum } : {}),
  };
}

function link(uri: string, name: string, description?: string, mimeType = 'text/markdown'): ResourceLink {
  return { type: 'resource_link', uri, name, mimeType, ...(description ? { description } : {}) };
}

function ok<T extends Record<string, unknown>>(text: string, structured: T, links: ResourceLink[] = []): CallToolResult {
  return { content: [{ type: 'text', text }, ...links], structuredContent: structured };
}

/** Runs a tool body; whatever it throws becomes an isError result with the problem's code and the next step. */
async function guarded(fn: () => Promise<CallToolResult | InputRequiredResult>): Promise<CallToolResult | InputRequiredResult> {
  try {
    return await fn();
  } catch (err) {
    return toolError(err);
  }
}

/** What a client can answer in a form: the elicitation capability, per era (envelope on 2026, initialize on 2025). */
export type ElicitationSupport = (ctx: ServerContext) => boolean;

/** The elicitation form for missing variables: enums as choices, defaults prefilled, descriptions as help. */
type FormField = { type: 'string'; title: string; description?: string; default?: string; enum?: string[] };

/**
 * The elicitation form for a render: the missing variables (required) and the other ones not given yet (optional,
 * defaults prefilled, so the user may change them); enums as choices, descriptions as help.
 */
export function variablesForm(variables: Variable[], missing: string[], given: Record<string, unknown>) {
  const properties: Record<string, FormField> = {};
  const asked = [...missing, ...variables.map((v) => v.name).filter((n) => !missing.includes(n) && !Object.hasOwn(given, n))];
  for (const name of asked) {
    const v = variables.find((x) => x.name === name);
    const description = v ? argumentDescription(v) : undefined;
    const field: FormField = { type: 'string', title: name };
    if (description) field.description = description;
    if (v?.default !== undefined) field.default = String(v.default);
    if (v?.enum) field.enum = v.enum.map(String);
    properties[name] = field;
  }
  return { type: 'object' as const, properties, required: missing };
}

export function registerReadTools(server: McpServer, library: Library, canElicit: ElicitationSupport): void {
  server.registerTool(
    'search_prompts',
    {
      title: 'Search prompts',
      description:
        'Search the team’s prompt library (hybrid full-text + semantic by default), with folder, tag, author and date filters. Returns paths to use with get_prompt and render_prompt.',
      inputSchema: searchPromptsInput,
      outputSchema: searchPromptsOutput,
      annotations: READ,
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const r = await library.client.search({
          query: {
            q: args.query,
            ...(args.mode ? { mode: args.mode } : {}),
            ...(args.folder ? { folder: args.folder } : {}),
            ...(args.tags?.length ? { tag: args.tags } : {}),
            ...(args.updatedSince ? { updatedSince: args.updatedSince } : {}),
            limit: args.limit ?? 10,
            ...(args.cursor ? { cursor: args.cursor } : {}),
          },
        });
        const items = r.items.map((h) => ({
          path: h.path,
          title: h.title,
          description: h.description,
          tags: h.tags,
          score: h.score,
          snippet: h.snippet,
          uri: promptUri(h.path),
        }));
        const text = items.length
          ? items.map((h, i) => `${i + 1}. ${h.path} — ${h.title}${h.description ? ': ' + h.description : ''}`).join('\n')
          : `No prompt matches "${args.query}".`;
        return ok(
          text,
          { items, mode: r.mode, total: r.total, nextCursor: r.nextCursor },
          items.map((h) => link(h.uri, h.path, h.title)),
        );
      }),
  );

  server.registerTool(
    'get_prompt',
    {
      title: 'Get a prompt',
      description: 'The text of a prompt at a ref (default: the server’s default ref), with its variables and the commit it is at.',
      inputSchema: getPromptInput,
      outputSchema: getPromptOutput,
      annotations: READ,
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const p = await library.read(args.path, args.ref);
        return ok(
          p.content,
          {
            path: p.prompt.path,
            title: p.prompt.title,
            description: p.prompt.description,
            tags: p.prompt.tags,
            ref: p.ref,
            commit: commitOut(p.commit),
            content: p.content,
            variables: p.variables.map(variableOut),
          },
          [link(promptUri(p.prompt.path, p.commit.id), `${p.prompt.path}@${p.commit.id}`, `${p.ref} at #${p.commit.seq}`), link(historyUri(p.prompt.path), `history of ${p.prompt.path}`, undefined, 'application/json')],
        );
      }),
  );

  server.registerTool(
    'render_prompt',
    {
      title: 'Render a prompt',
      description:
        'Fill a prompt’s variables and return the text ready to use. Missing required variables are asked of the user when the client can, else named in the error.',
      inputSchema: renderPromptInput,
      outputSchema: renderPromptOutput,
      annotations: READ,
      icons: ICONS,
    },
    (args, ctx) =>
      guarded(async () => {
        const answered = acceptedContent<Record<string, string>>(ctx.mcpReq.inputResponses, 'values');
        const answer = inputResponse(ctx.mcpReq.inputResponses, 'values');
        const values = { ...(args.values ?? {}), ...(answered ?? {}) };
        let r;
        try {
          r = await library.render(args.path, args.ref, values);
        } catch (err) {
          const declined = answer.kind === 'elicit' && answer.action !== 'accept';
          if (err instanceof RocqetError && err.code === 'missing_variables' && !declined && canElicit(ctx)) {
            const missing = missingOf(err);
            const prompt = await library.read(args.path, args.ref);
            return inputRequired({
              inputRequests: {
                values: inputRequired.elicit({
                  message: `${prompt.prompt.title} needs: ${missing.join(', ')}`,
                  requestedSchema: variablesForm(prompt.variables, missing, values),
                }),
              },
            });
          }
          throw err;
        }
        return ok(
          r.text,
          { text: r.text, path: args.path, ref: r.ref, commit: commitOut(r.commit), used: r.used, defaulted: r.defaulted },
          [link(promptUri(args.path, r.commit.id), `${args.path}@${r.commit.id}`, `${r.ref} at #${r.commit.seq}`)],
        );
      }),
  );

  server.registerTool(
    'list_versions',
    {
      title: 'List versions',
      description: 'The commits of a prompt’s ref (default: its default branch), newest first, with its branches and tags.',
      inputSchema: listVersionsInput,
      outputSchema: listVersionsOutput,
      annotations: READ,
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const params = { prompt: args.path };
        const [page, branches, tags] = await Promise.all([
          library.client.listCommits({
            params,
            query: { limit: args.limit ?? 20, ...(args.ref ? { ref: args.ref } : {}), ...(args.cursor ? { cursor: args.cursor } : {}) },
          }),
          library.client.listBranches({ params }),
          library.client.listTags({ params }),
        ]);
        const commits = page.items.map(commitOut);
        const text = commits.map((c) => `#${c.seq} ${c.id} ${c.createdAt} ${c.author}: ${c.message}`).join('\n');
        return ok(
          text,
          {
            commits,
            branches: branches.items.map((b) => ({ name: b.name, head: b.head.id, isDefault: b.isDefault })),
            tags: tags.items.map((t) => ({ name: t.name, commit: t.commit.id })),
            nextCursor: page.nextCursor,
          },
          [link(historyUri(args.path, args.ref), `history of ${args.path}`, undefined, 'application/json')],
        );
      }),
  );

  server.registerTool(
    'diff_versions',
    {
      title: 'Diff two versions',
      description: 'Unified diff of a prompt between two refs (to defaults to the default branch).',
      inputSchema: diffVersionsInput,
      outputSchema: diffVersionsOutput,
      annotations: READ,
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const d = await library.client.diff({ params: { prompt: args.path }, query: { from: args.from, ...(args.to ? { to: args.to } : {}) } });
        return ok(
          d.unified || '(no differences)',
          { from: commitOut(d.from), to: commitOut(d.to), unified: d.unified, ...d.stats },
          [link(diffUri(args.path, d.from.id, d.to.id), `diff ${args.path}`, undefined, 'text/x-diff')],
        );
      }),
  );
}

const WRITE = { readOnlyHint: false, openWorldHint: false } as const;

/** Registered only for tokens with the write scope, so a read-only assistant is never offered them. */
export function registerWriteTools(
  server: McpServer,
  library: Library,
  changed: (change: { paths: string[]; listChanged: boolean }) => void,
): void {
  // A write can change a prompt's text, its arguments or the refs it is served at: the list may differ too.
  const wrote = (path: string) => changed({ paths: [path], listChanged: true });
  server.registerTool(
    'create_prompt',
    {
      title: 'Create a prompt',
      description: 'Create a prompt in the library; its text becomes the first commit on main.',
      inputSchema: createPromptInput,
      outputSchema: createPromptOutput,
      annotations: { ...WRITE, destructiveHint: false, idempotentHint: false },
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        let folderId: string | null = null;
        if (args.folder) {
          const wanted = args.folder.replace(/^\/+|\/+$/g, '');
          const found = (await library.client.listFolders()).items.find((f) => f.path === wanted);
          if (!found) throw new RocqetError('not_found', 404, `no folder "${wanted}"; create_prompt puts prompts in existing folders only`);
          folderId = found.id;
        }
        const { folder: _folder, ...rest } = args;
        const created = await library.client.createPrompt({ body: { ...rest, folderId } });
        const uri = promptUri(created.path);
        wrote(created.path);
        return ok(`Created ${created.path} (#${created.commit.seq} ${created.commit.id})`, { path: created.path, commit: commitOut(created.commit), uri }, [
          link(uri, created.path, created.title),
        ]);
      }),
  );

  server.registerTool(
    'commit_prompt',
    {
      title: 'Commit a new version',
      description:
        'Commit a new text on a branch. parent is the commit you started from (get_prompt gives it); if the branch moved, nothing is written and the error names the new head.',
      inputSchema: commitPromptInput,
      outputSchema: commitPromptOutput,
      annotations: { ...WRITE, destructiveHint: false, idempotentHint: false },
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const c = await library.client.commit({
          params: { prompt: args.path },
          body: { content: args.content, message: args.message, parent: args.parent, ...(args.branch ? { branch: args.branch } : {}) },
        });
        const uri = promptUri(args.path, c.id);
        wrote(args.path);
        return ok(`Committed #${c.seq} ${c.id} on ${args.path}`, { path: args.path, commit: commitOut(c), uri }, [link(uri, `${args.path}@${c.id}`, c.message)]);
      }),
  );

  server.registerTool(
    'create_branch',
    {
      title: 'Create a branch',
      description: 'Create a branch of a prompt from any ref (default: its default branch).',
      inputSchema: createBranchInput,
      outputSchema: BranchOut,
      annotations: { ...WRITE, destructiveHint: false, idempotentHint: false },
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const b = await library.client.createBranch({ params: { prompt: args.path }, body: { name: args.name, ...(args.from ? { from: args.from } : {}) } });
        wrote(args.path);
        return ok(`Branch ${b.name} of ${args.path} at #${b.head.seq}`, { name: b.name, head: commitOut(b.head) }, [
          link(promptUri(args.path, b.name), `${args.path}@${b.name}`),
        ]);
      }),
  );

  server.registerTool(
    'merge_branch',
    {
      title: 'Merge a branch',
      description:
        'Merge a branch into another (default: the default branch): fast-forward or a three-way merge commit. Conflicts are reported, nothing is written.',
      inputSchema: mergeBranchInput,
      outputSchema: mergeBranchOutput,
      // Merging again is up_to_date, and history keeps every version: not destructive.
      annotations: { ...WRITE, destructiveHint: false, idempotentHint: true },
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const m = await library.client.merge({
          params: { prompt: args.path },
          body: { source: args.source, ...(args.target ? { target: args.target } : {}), ...(args.message ? { message: args.message } : {}) },
        });
        wrote(args.path);
        return ok(`${m.result}: ${args.source} into ${args.target ?? 'the default branch'} at #${m.commit.seq}`, { result: m.result, commit: commitOut(m.commit) }, [
          link(promptUri(args.path, m.commit.id), `${args.path}@${m.commit.id}`),
        ]);
      }),
  );

  server.registerTool(
    'tag_version',
    {
      title: 'Tag a version',
      description: 'Tag a ref of a prompt (default: its default branch), for example production or v1. Tags never move.',
      inputSchema: tagVersionInput,
      outputSchema: tagVersionOutput,
      annotations: { ...WRITE, destructiveHint: false, idempotentHint: false },
      icons: ICONS,
    },
    (args) =>
      guarded(async () => {
        const t = await library.client.createTag({
          params: { prompt: args.path },
          body: { name: args.name, ...(args.ref ? { ref: args.ref } : {}), ...(args.message ? { message: args.message } : {}) },
        });
        wrote(args.path);
        return ok(`Tagged #${t.commit.seq} of ${args.path} as ${t.name}`, { name: t.name, commit: commitOut(t.commit) }, [
          link(promptUri(args.path, t.name), `${args.path}@${t.name}`),
        ]);
      }),
  );
}

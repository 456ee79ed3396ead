import { z } from 'zod';
import { BooleanQuery, Cursor, DisplayName, Id, Limit, StorableTimestamp, Text, Timestamp, dictionary, page, repeated } from './common.js';
import { route } from './route.js';

export const PromptSlug = Text.min(1)
  .max(100)
  .regex(/^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/, 'must be lowercase letters, digits, ".", "_" and inner "-"');

export const TagName = Text.trim()
  .min(1)
  .max(50)
  .regex(/^[^\s,/]+$/, 'must be one word without commas or slashes')
  .transform((s) => s.toLowerCase());

/** Branch and tag names: git's rules, simplified. */
export const RefName = Text.min(1)
  .max(100)
  .regex(/^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9][A-Za-z0-9._/-]*(?<![./])$/, 'must be letters, digits, ".", "_", "-" and "/"')
  .refine((s) => !s.startsWith('#'), 'must not start with #');

/** A ref: a commit id, `#seq`, a tag or a branch, resolved in that order. */
export const Ref = Text.min(1)
  .max(100)
  .refine((s) => s !== '.' && s !== '..', 'is not a ref')
  .describe('commit id, #seq, tag or branch');

export const Content = Text.max(200_000, 'a prompt is at most 200,000 characters');
/** What a prompt is for, shown in lists and search. */
export const Description = Text.max(2_000);
export const CommitMessage = Text.trim().min(1, 'a commit needs a message').max(2_000);

/** The fields a prompt is created and edited with: the API bodies and every import format share them. */
export const PromptTitle = DisplayName.max(200);
export const PromptDescription = Description;
export const PromptTags = z.array(TagName).max(20);
export const TagMessage = Text.max(2_000);

export const PromptRef = Text.min(1)
  .max(500)
  .describe('prompt id, or its path: folder/sub/slug (URL-encoded)');

export const Commit = z.object({
  id: Id,
  seq: z.number().int(),
  parentId: Id.nullable(),
  mergeParentId: Id.nullable(),
  message: z.string(),
  author: z.object({ id: Id.nullable(), name: z.string() }),
  createdAt: Timestamp,
  contentHash: z.string().describe('SHA-256 of the UTF-8 text, hex'),
  size: z.number().int().describe('bytes'),
});
export type Commit = z.infer<typeof Commit>;

export const Prompt = z.object({
  id: Id,
  slug: z.string(),
  path: z.string(),
  title: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  folderId: Id.nullable(),
  defaultBranch: z.string(),
  headCommitId: Id.nullable(),
  usage: z.object({ views: z.number().int(), renders: z.number().int() }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  deletedAt: Timestamp.nullable(),
});
export type Prompt = z.infer<typeof Prompt>;

export const PromptWithContent = Prompt.extend({ content: z.string(), commit: Commit, ref: z.string() });

export const Branch = z.object({ name: z.string(), head: Commit, isDefault: z.boolean(), updatedAt: Timestamp });
export const Tag = z.object({
  name: z.string(),
  commit: Commit,
  message: z.string(),
  createdAt: Timestamp,
});

const Word = z.object({ op: z.enum([' ', '+', '-']), text: z.string() });
export const DiffHunk = z.object({
  oldStart: z.number().int(),
  oldLines: z.number().int(),
  newStart: z.number().int(),
  newLines: z.number().int(),
  lines: z.array(z.object({ op: z.enum([' ', '+', '-']), text: z.string(), words: z.array(Word).optional() })),
});

export const ConflictHunk = z.object({
  baseStart: z.number().int(),
  baseLines: z.array(z.string()),
  ours: z.array(z.string()),
  theirs: z.array(z.string()),
});

const P = z.strictObject({ prompt: PromptRef });
const PName = z.strictObject({ prompt: PromptRef, name: RefName });

export const CreatePromptBody = z.strictObject({
  title: PromptTitle,
  slug: PromptSlug.optional().describe('defaults to one made from the title'),
  description: PromptDescription.optional(),
  tags: PromptTags.optional(),
  folderId: Id.nullable().optional(),
  content: Content,
  message: CommitMessage.optional().describe('defaults to "Create <title>"'),
});

/**
 * Either a text (`content` + `parent`), or `fromDraft: true`: the text of the branch's collaborative draft as the
 * server holds it, on the draft's base (give `parent` to insist on it).
 */
export const CommitBody = z
  .strictObject({
    content: Content.optional().describe('the new text; required unless fromDraft'),
    message: CommitMessage,
    branch: RefName.optional().describe('defaults to the default branch'),
    parent: Id.optional().describe(
      'the head you started from (required unless fromDraft); if the branch moved, the commit is refused with head_moved',
    ),
    mergeParent: Id.optional().describe('the other head, when committing the resolution of a merge'),
    fromDraft: z.literal(true).optional().describe("commit the branch's collaborative draft (its text and base)"),
  })
  .superRefine((b, ctx) => {
    if (b.fromDraft) {
      if (b.content !== undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'a commit from the draft takes its text from the draft' });
      if (b.mergeParent !== undefined) ctx.addIssue({ code: 'custom', path: ['mergeParent'], message: 'a commit from the draft has one parent' });
      return;
    }
    if (b.content === undefined) ctx.addIssue({ code: 'custom', path: ['content'], message: 'required (or fromDraft: true)' });
    if (b.parent === undefined) ctx.addIssue({ code: 'custom', path: ['parent'], message: 'required (or fromDraft: true)' });
  });

/** One prompt of an import file: the rules of createPrompt for the same fields. */
export const ImportedPrompt = z
  .object({ title: PromptTitle, description: PromptDescription, tags: PromptTags, tagMessages: z.array(TagMessage).optional() });

/** One version of an imported history: the rules of a commit, and a date the database can store. */
export const ImportedVersion = z
  .object({ content: Content, message: CommitMessage, createdAt: StorableTimestamp.optional(), authorName: DisplayName.optional() });

export const ImportFormat = z.enum(['awesome-csv', 'fabric-jsonl', 'rocqet-json']);
export const ImportReport = z.object({
  format: ImportFormat,
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  commits: z.number().int(),
  skipped: z.array(
    z.object({
      item: z.string().describe('which item of the file: "line N" (CSV, JSONL), the prompt path or folder (rocqet-json)'),
      field: z.string().optional().describe('the field that broke a rule, when one did'),
      reason: z.string(),
    }),
  ),
  renamed: z.array(z.object({ item: z.string(), as: z.string(), reason: z.string() })),
});
export type ImportReport = z.infer<typeof ImportReport>;

export const ExportCommit = z.object({
  id: Id,
  seq: z.number().int(),
  parentId: Id.nullable(),
  mergeParentId: Id.nullable(),
  message: z.string(),
  authorName: z.string(),
  // Any ISO date here: an import checks each commit's date by the API's rule itself, so one bad date is reported
  // against its prompt (commits.N.createdAt) instead of refusing the whole file.
  createdAt: z.iso.datetime({ offset: true }),
  content: z.string(),
});
export const ExportPrompt = z.object({
  id: Id,
  path: z.string(),
  folderPath: z.string().nullable(),
  slug: z.string(),
  title: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  defaultBranch: z.string(),
  commits: z.array(ExportCommit),
  branches: z.array(z.object({ name: z.string(), head: Id })),
  versionTags: z.array(z.object({ name: z.string(), commit: Id, message: z.string() })),
});
export const ExportDocument = z.object({
  format: z.literal('rocqet-export'),
  version: z.literal(1),
  exportedAt: Timestamp,
  workspace: z.object({ id: Id, slug: z.string() }),
  folders: z.array(z.string()),
  prompts: z.array(ExportPrompt),
});
export type ExportDocument = z.infer<typeof ExportDocument>;

export const ImportBody = z
  .strictObject({
    format: ImportFormat,
    data: z.union([z.string().max(50_000_000), ExportDocument]),
    folderId: Id.nullable().optional().describe('where the prompts go (default: the root)'),
  })
  .describe(
    'The whole file is checked before anything is written, every item with the rules the API applies to the same ' +
      'fields (title, description, tags, content size, commit message, dates) and a history as a graph (unique commit ' +
      'ids, parents in the file or imported before, parents before children, every branch head and tag in the file). ' +
      'Every valid item is then written in one transaction; every invalid one is left out and listed in `skipped` ' +
      '(item, field, reason). An import that fails (a plan limit, a conflict with a concurrent writer) writes nothing.',
  );

export const promptRoutes = {
  listPrompts: route({
    method: 'GET',
    path: '/v1/prompts',
    summary: 'List prompts (newest first), by folder and tags; deleted ones only with deleted=true',
    tag: 'Prompts',
    scope: 'read',
    query: z.strictObject({
      limit: Limit,
      cursor: Cursor.optional(),
      folder: Id.optional().describe('only this folder (not its subfolders)'),
      root: BooleanQuery.optional().describe('only prompts at the root'),
      tag: repeated(TagName).optional().describe('prompts carrying all these tags'),
      deleted: BooleanQuery.optional(),
    }),
    response: page(Prompt),
    status: 200,
    problems: ['invalid_cursor'],
  }),
  createPrompt: route({
    method: 'POST',
    path: '/v1/prompts',
    summary: 'Create a prompt; its text becomes the first commit on main',
    tag: 'Prompts',
    scope: 'write',
    body: CreatePromptBody,
    response: PromptWithContent,
    status: 201,
    problems: ['already_exists', 'not_found', 'limit_exceeded', 'invalid_front_matter'],
  }),
  getPrompt: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}',
    summary: 'A prompt with the text of a ref (default: its default branch)',
    tag: 'Prompts',
    scope: 'read',
    params: P,
    query: z.strictObject({ ref: Ref.optional() }),
    headers: ['If-None-Match'],
    response: PromptWithContent,
    status: 200,
    problems: ['not_found', 'ref_not_found'],
  }),
  updatePrompt: route({
    method: 'PATCH',
    path: '/v1/prompts/{prompt}',
    summary: 'Change title, description, tags, slug or folder (audited, not versioned)',
    tag: 'Prompts',
    scope: 'write',
    params: P,
    body: z
      .strictObject({
        title: PromptTitle.optional(),
        slug: PromptSlug.optional(),
        description: PromptDescription.optional(),
        tags: PromptTags.optional(),
        folderId: Id.nullable().optional(),
      })
      .refine((b) => Object.keys(b).length > 0, { message: 'give at least one field to change' }),
    headers: ['If-Match'],
    response: Prompt,
    status: 200,
    problems: ['not_found', 'already_exists', 'precondition_failed'],
  }),
  deletePrompt: route({
    method: 'DELETE',
    path: '/v1/prompts/{prompt}',
    summary: 'Move a prompt to the trash (it leaves lists and search until restored)',
    tag: 'Prompts',
    scope: 'write',
    params: P,
    status: 204,
    problems: ['not_found'],
  }),
  restorePrompt: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/restore',
    summary: 'Bring a prompt back from the trash (admins)',
    tag: 'Prompts',
    scope: 'write',
    params: P,
    response: Prompt,
    status: 200,
    problems: ['not_found', 'already_exists', 'forbidden'],
  }),
  listCommits: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/commits',
    summary: 'History of a ref, newest first',
    tag: 'History',
    scope: 'read',
    params: P,
    query: z.strictObject({ ref: Ref.optional(), limit: Limit, cursor: Cursor.optional() }),
    response: page(Commit),
    status: 200,
    problems: ['not_found', 'ref_not_found', 'invalid_cursor'],
  }),
  commit: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/commits',
    summary: 'Commit a new text on a branch, given the head you started from, or the branch draft (fromDraft)',
    tag: 'History',
    scope: 'write',
    params: P,
    body: CommitBody,
    response: Commit,
    status: 201,
    problems: ['not_found', 'ref_not_found', 'head_moved', 'no_changes', 'invalid_front_matter', 'payload_too_large', 'forbidden'],
  }),
  getCommit: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/commits/{ref}',
    summary: 'One commit and its text',
    tag: 'History',
    scope: 'read',
    params: z.strictObject({ prompt: PromptRef, ref: Ref }),
    response: Commit.extend({ content: z.string() }),
    status: 200,
    problems: ['not_found', 'ref_not_found'],
  }),
  listBranches: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/branches',
    summary: 'Branches of a prompt',
    tag: 'Branches and tags',
    scope: 'read',
    params: P,
    response: z.object({ items: z.array(Branch) }),
    status: 200,
    problems: ['not_found'],
  }),
  createBranch: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/branches',
    summary: 'Create a branch from any ref',
    tag: 'Branches and tags',
    scope: 'write',
    params: P,
    body: z.strictObject({ name: RefName, from: Ref.optional().describe('defaults to the default branch') }),
    response: Branch,
    status: 201,
    problems: ['not_found', 'ref_not_found', 'already_exists'],
  }),
  renameBranch: route({
    method: 'PATCH',
    path: '/v1/prompts/{prompt}/branches/{name}',
    summary: 'Rename a branch (renaming the default branch renames the default too)',
    tag: 'Branches and tags',
    scope: 'write',
    params: PName,
    body: z.strictObject({ name: RefName }),
    response: Branch,
    status: 200,
    problems: ['not_found', 'ref_not_found', 'already_exists'],
  }),
  deleteBranch: route({
    method: 'DELETE',
    path: '/v1/prompts/{prompt}/branches/{name}',
    summary: 'Delete a branch; never the default one',
    tag: 'Branches and tags',
    scope: 'write',
    params: PName,
    status: 204,
    problems: ['not_found', 'ref_not_found', 'default_branch'],
  }),
  listTags: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/tags',
    summary: 'Tags of a prompt',
    tag: 'Branches and tags',
    scope: 'read',
    params: P,
    response: z.object({ items: z.array(Tag) }),
    status: 200,
    problems: ['not_found'],
  }),
  createTag: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/tags',
    summary: 'Tag a ref; tags never move (an admin may force one)',
    tag: 'Branches and tags',
    scope: 'write',
    params: P,
    body: z.strictObject({
      name: RefName,
      ref: Ref.optional().describe('defaults to the default branch'),
      message: TagMessage.optional(),
      force: z.boolean().optional().describe('admins: move an existing tag'),
    }),
    response: Tag,
    status: 201,
    problems: ['not_found', 'ref_not_found', 'tag_immutable', 'forbidden'],
  }),
  deleteTag: route({
    method: 'DELETE',
    path: '/v1/prompts/{prompt}/tags/{name}',
    summary: 'Delete a tag (admins)',
    tag: 'Branches and tags',
    scope: 'write',
    params: PName,
    status: 204,
    problems: ['not_found', 'ref_not_found', 'forbidden'],
  }),
  diff: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/diff',
    summary: 'Diff between two refs: unified text and hunks with word-level detail',
    tag: 'History',
    scope: 'read',
    params: P,
    query: z.strictObject({
      from: Ref,
      to: Ref.optional().describe('defaults to the default branch'),
      context: z.coerce.number().int().min(0).max(100).default(3),
    }),
    response: z.object({
      from: Commit,
      to: Commit,
      unified: z.string(),
      hunks: z.array(DiffHunk),
      stats: z.object({ additions: z.number().int(), deletions: z.number().int() }),
    }),
    status: 200,
    problems: ['not_found', 'ref_not_found'],
  }),
  merge: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/merge',
    summary: 'Merge a branch into another: fast-forward, or a three-way merge commit; conflicts answer 409',
    tag: 'History',
    scope: 'write',
    params: P,
    body: z.strictObject({
      source: RefName,
      target: RefName.optional().describe('defaults to the default branch'),
      message: CommitMessage.optional(),
    }),
    response: z.object({
      result: z.enum(['fast_forward', 'merged', 'up_to_date']),
      commit: Commit,
    }),
    status: 200,
    problems: ['not_found', 'ref_not_found', 'merge_conflict', 'head_moved'],
  }),
  revert: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/revert',
    summary: "Make a new commit whose text is an older ref's",
    tag: 'History',
    scope: 'write',
    params: P,
    body: z.strictObject({
      to: Ref.describe('the ref whose text to bring back'),
      branch: RefName.optional(),
      parent: Id.describe('the head you started from'),
      message: CommitMessage.optional(),
    }),
    response: Commit,
    status: 201,
    problems: ['not_found', 'ref_not_found', 'head_moved', 'no_changes'],
  }),
  render: route({
    method: 'POST',
    path: '/v1/prompts/{prompt}/render',
    summary: 'Render a ref with variable values; says which commit it used',
    tag: 'Prompts',
    scope: 'read',
    params: P,
    body: z.strictObject({
      ref: Ref.optional(),
      values: dictionary(Text, z.union([Text, z.number(), z.boolean()])).default({}),
      strict: z.boolean().optional(),
    }),
    response: z.object({
      text: z.string(),
      commit: Commit,
      ref: z.string().describe('the ref rendered: the one given, else the default branch'),
      used: z.array(z.string()),
      defaulted: z.array(z.string()),
    }),
    status: 200,
    problems: ['not_found', 'ref_not_found', 'missing_variables', 'invalid_variable_value', 'invalid_front_matter'],
  }),
  exportPromptFile: route({
    method: 'GET',
    path: '/v1/prompts/{prompt}/export',
    summary: 'The prompt at a ref as a .prompt.md file',
    tag: 'Import and export',
    scope: 'read',
    params: P,
    query: z.strictObject({ ref: Ref.optional() }),
    produces: 'text/markdown',
    status: 200,
    problems: ['not_found', 'ref_not_found'],
  }),
  topPrompts: route({
    method: 'GET',
    path: '/v1/usage/top',
    summary: 'The most used prompts of the workspace',
    tag: 'Prompts',
    scope: 'read',
    query: z.strictObject({
      by: z.enum(['views', 'renders', 'total']).default('total'),
      limit: z.coerce.number().int().min(1).max(100).default(10),
    }),
    response: z.object({ items: z.array(Prompt) }),
    status: 200,
  }),
  reportRenders: route({
    method: 'POST',
    path: '/v1/usage/renders',
    summary: 'Count renders a client did from its own current copy (the MCP server renders cached prompts itself)',
    tag: 'Prompts',
    scope: 'read',
    body: z.strictObject({
      renders: z
        .array(z.strictObject({ prompt: Id.describe('prompt id'), count: z.int().min(1).max(1_000) }))
        .min(1)
        .max(200)
        .refine((rs) => new Set(rs.map((r) => r.prompt)).size === rs.length, 'each prompt at most once'),
    }),
    response: z.object({
      counted: z.number().int().describe('renders added to the counters'),
      unknown: z.array(z.string()).describe('ids that are no live prompt of this workspace: nothing counted for them'),
    }),
    status: 200,
  }),
  importPrompts: route({
    method: 'POST',
    path: '/v1/import',
    summary: 'Import prompts: awesome-chatgpt-prompts CSV, fabric JSONL histories, or a Rocqet export (idempotent)',
    tag: 'Import and export',
    scope: 'write',
    body: ImportBody,
    response: ImportReport,
    status: 200,
    maxBodyBytes: 60 * 1024 * 1024,
    timeoutMs: 600_000,
    problems: ['import_invalid', 'not_found', 'limit_exceeded'],
  }),
  exportWorkspace: route({
    method: 'GET',
    path: '/v1/export',
    summary: 'Export the workspace, or one folder subtree, as JSON with full history',
    tag: 'Import and export',
    scope: 'read',
    query: z.strictObject({ folder: Id.optional() }),
    response: ExportDocument,
    status: 200,
    problems: ['not_found'],
  }),
};

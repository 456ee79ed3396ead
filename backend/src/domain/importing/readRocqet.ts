import { FolderName, PromptSlug, RefName, type ExportDocument } from '@rocqet/sdk';
import { checkPromptFields, checkVersion, skip, type Refusal, type Skip, type Version } from './rules.js';

type FilePrompt = ExportDocument['prompts'][number];

export interface RocqetCommit extends Version {
  /** Its id in the exporting workspace. */
  id: string;
  parentId: string | null;
  mergeParentId: string | null;
  authorName: string;
}

export interface RocqetPrompt {
  /** Its id in the exporting workspace. */
  id: string;
  path: string;
  folderPath: string | null;
  slug: string;
  title: string;
  description: string;
  tags: string[];
  defaultBranch: string;
  /** Parents before children (ordered by the file's seq). */
  commits: RocqetCommit[];
  branches: { name: string; head: string }[];
  versionTags: { name: string; commit: string; message: string }[];
  /** Parents the file names but does not hold: they must have come with an earlier import of this prompt. */
  outsideParents: string[];
}

export interface RocqetRead {
  folders: string[];
  prompts: RocqetPrompt[];
  skipped: Skip[];
}

/** A folder path of the file: every segment must be a name the folders API would accept. */
export function validFolderPath(path: string): boolean {
  return path.split('/').every((name) => name === name.trim() && FolderName.safeParse(name).success);
}

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.reason);
  }
}

function refuse(reason: string, field?: string): never {
  throw new Refused(field === undefined ? { reason } : { field, reason });
}

/**
 * The history of the file as a graph: unique commit ids and seqs, every parent earlier (by seq) than its child, so the
 * graph has no cycle, and every branch head and version tag on a commit of the file. Parents the file lacks are
 * returned: they are looked up among the commits an earlier import stored.
 */
function checkHistory(p: FilePrompt, seqOf: Map<string, number>): string[] {
  if (!p.commits.length) refuse('has no commits', 'commits');
  const seqs = new Set<number>();
  for (const [i, c] of p.commits.entries()) {
    if (seqOf.has(c.id)) refuse(`commit ${c.id} appears twice`, `commits.${i}.id`);
    if (seqs.has(c.seq)) refuse(`seq ${c.seq} is used by two commits`, `commits.${i}.seq`);
    seqOf.set(c.id, c.seq);
    seqs.add(c.seq);
  }
  const outside = new Set<string>();
  for (const [i, c] of p.commits.entries()) {
    for (const [field, parent] of [['parentId', c.parentId], ['mergeParentId', c.mergeParentId]] as const) {
      if (parent === null) continue;
      if (parent === c.id) refuse(`commit ${c.id} is its own parent`, `commits.${i}.${field}`);
      const parentSeq = seqOf.get(parent);
      if (parentSeq === undefined) outside.add(parent);
      else if (parentSeq >= c.seq) refuse(`commit ${c.id} (seq ${c.seq}) comes before its parent ${parent} (seq ${parentSeq})`, `commits.${i}.${field}`);
    }
    if (c.mergeParentId !== null && c.mergeParentId === c.parentId) refuse(`commit ${c.id} names the same parent twice`, `commits.${i}.mergeParentId`);
  }
  for (const [i, b] of p.branches.entries()) {
    if (!seqOf.has(b.head)) refuse(`the head of branch "${b.name}" is not a commit of the file`, `branches.${i}.head`);
  }
  for (const [i, t] of p.versionTags.entries()) {
    if (!seqOf.has(t.commit)) refuse(`tag "${t.name}" points at a commit the file lacks`, `versionTags.${i}.commit`);
  }
  return [...outside];
}

/**
 * What the API would refuse (a bad slug, folder or ref name, a title, text or date out of its rules, a default branch
 * the prompt lacks, a history that is not a graph) is refused here too, so an import cannot make prompts the rest of
 * the API cannot handle.
 */
function checkPrompt(p: FilePrompt): RocqetPrompt {
  if (!PromptSlug.safeParse(p.slug).success) refuse(`"${p.slug}" is not a valid slug`, 'slug');
  if (p.folderPath !== null && !validFolderPath(p.folderPath)) refuse(`"${p.folderPath}" is not a valid folder path`, 'folderPath');
  const fields = checkPromptFields(
    { title: p.title, description: p.description, tags: p.tags, tagMessages: p.versionTags.map((t) => t.message) },
    (path) => (path[0] === 'tagMessages' ? `versionTags.${path[1]}.message` : path.join('.')),
  );
  if (!fields.ok) throw new Refused(fields.refusal);
  if (fields.value.title !== p.title) refuse('the title has surrounding spaces', 'title');
  const names = [...p.branches.map((b) => b.name), ...p.versionTags.map((t) => t.name)];
  for (const name of names) if (!RefName.safeParse(name).success) refuse(`"${name}" is not a valid branch or tag name`, 'branches');
  if (new Set(names).size !== names.length) refuse('a branch or tag name is used twice', 'branches');
  if (!p.branches.some((b) => b.name === p.defaultBranch)) refuse(`the default branch "${p.defaultBranch}" is not one of its branches`, 'defaultBranch');
  const sorted = [...p.commits].sort((a, b) => a.seq - b.seq);
  const commits: RocqetCommit[] = [];
  for (const c of sorted) {
    const at = p.commits.indexOf(c);
    const version = checkVersion(
      { content: c.content, message: c.message, createdAt: c.createdAt, authorName: c.authorName },
      (path) => `commits.${at}.${path.join('.')}`,
    );
    if (!version.ok) throw new Refused(version.refusal);
    commits.push({ ...version.value, id: c.id, parentId: c.parentId, mergeParentId: c.mergeParentId, authorName: version.value.authorName ?? c.authorName });
  }
  const outsideParents = checkHistory(p, new Map());
  return {
    id: p.id,
    path: p.path,
    folderPath: p.folderPath,
    slug: p.slug,
    title: fields.value.title,
    description: fields.value.description,
    tags: [...new Set(fields.value.tags)],
    defaultBranch: p.defaultBranch,
    commits,
    branches: p.branches,
    versionTags: p.versionTags,
    outsideParents,
  };
}

/** Checks a Rocqet export document, prompt by prompt; every refused prompt and folder is in `skipped`. Writes nothing. */
export function readRocqetExport(doc: ExportDocument): RocqetRead {
  const out: RocqetRead = { folders: [], prompts: [], skipped: [] };
  for (const path of doc.folders) {
    if (validFolderPath(path)) out.folders.push(path);
    else out.skipped.push({ item: `folder "${path}"`, reason: 'not a valid folder path' });
  }
  const ids = new Set<string>();
  for (const [i, p] of doc.prompts.entries()) {
    const item = p.path || `prompts.${i}`;
    if (ids.has(p.id)) {
      out.skipped.push({ item, field: 'id', reason: `prompt ${p.id} appears twice in the file` });
      continue;
    }
    ids.add(p.id);
    try {
      out.prompts.push(checkPrompt(p));
    } catch (err) {
      if (!(err instanceof Refused)) throw err;
      out.skipped.push(skip(item, err.refusal));
    }
  }
  return out;
}

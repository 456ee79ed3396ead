import type { Db, Tx } from '../../db/prisma.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail } from '../errors.js';
import { requireWrite } from '../policy.js';
import { commitOnBranch } from '../prompts/commits.js';
import { findBranch, findPrompt } from '../prompts/resolve.js';
import { commitColumns, readText } from '../prompts/store.js';
import { diffTexts } from '../versions/index.js';
import * as Y from 'yjs';
import { initialDraftState } from './yjs.js';

/** Which branch a draft belongs to (resolved, in the caller's workspace). */
export interface DraftTarget {
  workspaceId: string;
  promptId: string;
  branchId: string;
  branchName: string;
}

export interface StoredDraft {
  state: Uint8Array;
  base: string;
  updatedAt: Date;
}

/**
 * The stored draft of a branch, made from the branch head when it has none. The first state is written before anyone
 * edits it, with ON CONFLICT DO NOTHING: every process then starts from the same Yjs insert of the head text (two
 * processes each inserting the head text themselves would merge into the text twice).
 */
export async function loadDraft(db: Db, target: DraftTarget): Promise<StoredDraft> {
  const found = await db.collabDoc.findUnique({ where: { branchId: target.branchId } });
  if (found) return { state: found.state, base: found.baseCommitId, updatedAt: found.updatedAt };
  const branch = await db.branch.findUniqueOrThrow({ where: { id: target.branchId } });
  const state = initialDraftState(await readText(db, branch.headId), branch.headId);
  await db.$executeRaw`
    INSERT INTO collab_doc (branch_id, workspace_id, prompt_id, state, base_commit_id)
    VALUES (${target.branchId}::uuid, ${target.workspaceId}::uuid, ${target.promptId}::uuid, ${Buffer.from(state)}, ${branch.headId}::uuid)
    ON CONFLICT (branch_id) DO NOTHING`;
  const row = await db.collabDoc.findUniqueOrThrow({ where: { branchId: target.branchId } });
  return { state: row.state, base: row.baseCommitId, updatedAt: row.updatedAt };
}

/**
 * Stores a draft's state. The one write path of the collaborative side (Outline's PersistenceExtension is the model):
 * audited like every other change, with who edited since the last save. Answers false when the branch is gone.
 */
export async function saveDraft(
  tx: Tx,
  actor: Actor | null,
  target: DraftTarget,
  draft: { state: Uint8Array; base: string; editors: string[] },
): Promise<boolean> {
  const updatedAt = new Date();
  // Merged with what is stored (under its row lock): a save can only add to a draft, whichever process writes it.
  const stored = await tx.$queryRaw<{ state: Uint8Array }[]>`
    SELECT state FROM collab_doc WHERE branch_id = ${target.branchId}::uuid FOR UPDATE`;
  const state = stored[0] ? Y.mergeUpdates([stored[0].state, draft.state]) : draft.state;
  const written = await tx.$executeRaw`
    INSERT INTO collab_doc (branch_id, workspace_id, prompt_id, state, base_commit_id, updated_at)
    SELECT b.id, b.workspace_id, b.prompt_id, ${Buffer.from(state)}, ${draft.base}::uuid, ${updatedAt}
      FROM branch b WHERE b.id = ${target.branchId}::uuid AND b.workspace_id = ${target.workspaceId}::uuid
    ON CONFLICT (branch_id) DO UPDATE SET state = EXCLUDED.state, base_commit_id = EXCLUDED.base_commit_id,
      updated_at = EXCLUDED.updated_at`;
  if (written === 0) return false;
  await recordAudit(tx, actor, {
    action: 'prompt.draft.save',
    resourceType: 'prompt',
    resourceId: target.promptId,
    workspaceId: target.workspaceId,
    changes: { branch: target.branchName, base: draft.base, bytes: state.byteLength, editors: draft.editors },
  });
  return true;
}

/** The draft of a prompt's branch, in the caller's workspace. */
export async function findDraftTarget(db: Db, actor: Actor, promptRef: string, branchName?: string): Promise<DraftTarget> {
  const prompt = await findPrompt(db, actor.workspaceId, promptRef);
  const branch = await findBranch(db, prompt.id, branchName ?? prompt.defaultBranch);
  return { workspaceId: prompt.workspaceId, promptId: prompt.id, branchId: branch.id, branchName: branch.name };
}

/** The largest draft a commit takes: the contract's limit on a prompt's text. */
const MAX_TEXT = 200_000;

/** Commits a draft's text on the draft's base, through the one commit path (head_moved, no_changes, audit). */
export async function commitDraftText(
  tx: Tx,
  actor: Actor,
  target: DraftTarget,
  draft: { text: string; base: string; message: string },
) {
  requireWrite(actor, 'committing');
  if (draft.text.length > MAX_TEXT) fail('payload_too_large', `the draft is longer than ${MAX_TEXT.toLocaleString('en')} characters`);
  return commitOnBranch(tx, actor, target.promptId, {
    content: draft.text,
    message: draft.message,
    branch: target.branchName,
    parent: draft.base,
    fromDraft: true,
  });
}

/** A live draft measured against its branch head: dirty or not, and the diff (head → draft). */
export async function describeDraft(db: Db, target: DraftTarget, live: { text: string; base: string }) {
  const branch = await db.branch.findUniqueOrThrow({ where: { id: target.branchId } });
  const [base, headText, stored] = await Promise.all([
    db.commit.findUniqueOrThrow({ where: { id: live.base }, select: commitColumns }),
    readText(db, branch.headId),
    db.collabDoc.findUnique({ where: { branchId: target.branchId }, select: { updatedAt: true } }),
  ]);
  const diff = diffTexts(headText, live.text, { aLabel: `${target.branchName} (head)`, bLabel: `${target.branchName} (draft)` });
  return { base, dirty: live.text !== headText, content: live.text, diff, updatedAt: stored?.updatedAt ?? null };
}

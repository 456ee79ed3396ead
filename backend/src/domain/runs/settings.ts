import { Prisma, type Db, type Tx } from '../../db/prisma.js';
import { sqlRows, type Queryable } from '../../db/sql.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { requireRole } from '../policy.js';

export interface RunSettingsData {
  chain: string[];
  monthlyBudgetUsd: number | null;
}

function monthStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

export function monthOf(now: Date): string {
  return now.toISOString().slice(0, 7);
}

export async function readRunSettings(db: Db | Tx, workspaceId: string): Promise<RunSettingsData> {
  const row = await db.runSettings.findUnique({ where: { workspaceId } });
  return {
    chain: Array.isArray(row?.chain) ? (row.chain as string[]) : [],
    monthlyBudgetUsd: row?.monthlyBudgetUsd == null ? null : Number(row.monthlyBudgetUsd),
  };
}

/** A provider key as a run needs it: which API, where, and the sealed secret. */
export interface RunKey {
  workspaceId: string;
  name: string;
  kind: string;
  baseUrl: string | null;
  sealedKey: string;
}

export interface RunSetup extends RunSettingsData {
  spentUsd: number | null;
  keys: RunKey[];
}

/*
 * The settings, this month's spend when there is a budget, and the workspace's keys, in one statement on the pool:
 * a run reads all three before its first token, so each round trip and each ORM query here is time to first token.
 * They are read at every run, never cached, so a key replaced or deleted on any process is never used after its
 * change commits.
 */
const RUN_SETUP = `
  SELECT s.chain, s.monthly_budget_usd::text AS budget,
         CASE WHEN s.monthly_budget_usd IS NULL THEN NULL ELSE
           (SELECT coalesce(sum(cost_usd), 0)::text FROM run WHERE workspace_id = $1::uuid AND created_at >= $2)
         END AS spent,
         (SELECT coalesce(json_agg(json_build_object('workspaceId', k.workspace_id, 'name', k.name, 'kind', k.kind,
                                                     'baseUrl', k.base_url, 'sealedKey', k.sealed_key) ORDER BY k.name), '[]')
            FROM provider_key k WHERE k.workspace_id = $1::uuid) AS keys
    FROM (SELECT 1) AS one LEFT JOIN run_settings s ON s.workspace_id = $1::uuid`;

export async function readRunSetup(q: Queryable, workspaceId: string, now = new Date()): Promise<RunSetup> {
  const [row] = await sqlRows<{ chain: unknown; budget: string | null; spent: string | null; keys: RunKey[] | string }>(q, RUN_SETUP, [
    workspaceId,
    monthStart(now),
  ]);
  // numeric comes back as text (exact), read as Number like Prisma's Decimal was; json may arrive unparsed from Prisma.
  return {
    chain: Array.isArray(row?.chain) ? (row.chain as string[]) : [],
    monthlyBudgetUsd: row?.budget == null ? null : Number(row.budget),
    spentUsd: row?.spent == null ? null : Number(row.spent),
    keys: typeof row?.keys === 'string' ? (JSON.parse(row.keys) as RunKey[]) : (row?.keys ?? []),
  };
}

/** The estimated cost of the workspace's runs this calendar month (UTC); runs whose model has no price count 0. */
export async function spentThisMonth(db: Db | Tx, workspaceId: string, now = new Date()): Promise<number> {
  const rows = await db.$queryRaw<{ sum: Prisma.Decimal | null }[]>`
    SELECT sum(cost_usd) AS sum FROM run WHERE workspace_id = ${workspaceId}::uuid AND created_at >= ${monthStart(now)}`;
  return Number(rows[0]?.sum ?? 0);
}

export async function updateRunSettings(tx: Tx, actor: Actor, input: { chain?: string[] | undefined; monthlyBudgetUsd?: number | null | undefined }) {
  requireRole(actor, 'admin', 'changing the run settings');
  const before = await readRunSettings(tx, actor.workspaceId);
  const after: RunSettingsData = {
    chain: input.chain ?? before.chain,
    monthlyBudgetUsd: input.monthlyBudgetUsd === undefined ? before.monthlyBudgetUsd : input.monthlyBudgetUsd,
  };
  await tx.runSettings.upsert({
    where: { workspaceId: actor.workspaceId },
    create: { workspaceId: actor.workspaceId, chain: after.chain, monthlyBudgetUsd: after.monthlyBudgetUsd },
    update: { chain: after.chain, monthlyBudgetUsd: after.monthlyBudgetUsd, updatedAt: new Date() },
  });
  await recordAudit(tx, actor, {
    action: 'run_settings.update',
    resourceType: 'run_settings',
    resourceId: actor.workspaceId,
    changes: { before, after },
  });
  return after;
}

import { Lru } from '../../util/lru.js';
import type { ProviderKind } from '@rocqet/sdk';
import type { Db, Tx } from '../../db/prisma.js';
import { maskSecret, NO_SECRET_KEY, SecretBoxError, type SecretBox } from '../../secrets/box.js';
import type { Actor } from '../actor.js';
import { recordAudit } from '../audit.js';
import { fail, notFound } from '../errors.js';
import { requireRole } from '../policy.js';

export type ProviderKeyRow = NonNullable<Awaited<ReturnType<Db['providerKey']['findFirst']>>>;

/** A sealed key opens only in the row it was sealed for: this workspace, this provider name. */
export function keyAad(workspaceId: string, name: string): string {
  return `provider_key:${workspaceId}:${name}`;
}

export interface SetKeyInput {
  kind?: ProviderKind | undefined;
  apiKey: string;
  baseUrl?: string | undefined;
}

function kindFor(name: string, input: SetKeyInput): ProviderKind {
  if (input.kind) return input.kind;
  if (name === 'openai' || name === 'anthropic') return name;
  return fail('validation_failed', `say which API "${name}" speaks: kind openai, anthropic or openai_compatible`, {
    errors: [{ path: 'body.kind', message: 'is required for a provider not named openai or anthropic' }],
  });
}

export async function setProviderKey(tx: Tx, box: SecretBox | undefined, actor: Actor, name: string, input: SetKeyInput) {
  requireRole(actor, 'admin', 'setting a provider key');
  const kind = kindFor(name, input);
  if (kind === 'openai_compatible' && !input.baseUrl) {
    fail('validation_failed', 'an openai_compatible provider needs its baseUrl (the URL before /chat/completions)', {
      errors: [{ path: 'body.baseUrl', message: 'is required for kind openai_compatible' }],
    });
  }
  if (!box) fail('secret_key_missing', NO_SECRET_KEY);
  const before = await tx.providerKey.findFirst({ where: { workspaceId: actor.workspaceId, name } });
  const data = {
    kind,
    baseUrl: input.baseUrl ? input.baseUrl.replace(/\/+$/, '') : null,
    sealedKey: box.seal(input.apiKey, keyAad(actor.workspaceId, name)),
    maskedKey: maskSecret(input.apiKey),
    createdBy: actor.userId,
    updatedAt: new Date(),
  };
  const row = await tx.providerKey.upsert({
    where: { workspaceId_name: { workspaceId: actor.workspaceId, name } },
    create: { workspaceId: actor.workspaceId, name, ...data },
    update: data,
  });
  // The audit names the change and the masked tail, never the key.
  const shown = (r: ProviderKeyRow | null) => (r ? { kind: r.kind, baseUrl: r.baseUrl, maskedKey: r.maskedKey } : null);
  await recordAudit(tx, actor, {
    action: before ? 'provider_key.replace' : 'provider_key.create',
    resourceType: 'provider_key',
    resourceId: row.id,
    changes: { name, before: shown(before), after: shown(row) },
  });
  return row;
}

export async function deleteProviderKey(tx: Tx, actor: Actor, name: string): Promise<void> {
  requireRole(actor, 'admin', 'deleting a provider key');
  const row = await tx.providerKey.findFirst({ where: { workspaceId: actor.workspaceId, name } });
  if (!row) notFound(`provider key "${name}"`);
  await tx.providerKey.delete({ where: { id: row.id } });
  await recordAudit(tx, actor, {
    action: 'provider_key.delete',
    resourceType: 'provider_key',
    resourceId: row.id,
    changes: { name, before: { kind: row.kind, baseUrl: row.baseUrl, maskedKey: row.maskedKey } },
  });
}

export function listProviderKeys(db: Db, workspaceId: string) {
  return db.providerKey.findMany({ where: { workspaceId }, orderBy: { name: 'asc' } });
}

/*
 * Opened keys by their sealed form and where they live. A sealed value carries its own random IV, so a key that is
 * replaced has a new sealed form and is opened anew; the row is still read at every run, so this never serves a key
 * that was changed or deleted. It only saves the cipher setup (a run opens every key of its chain). Per box, so a
 * box that cannot open a value still refuses it. Bounded.
 */
const openedBy = new WeakMap<SecretBox, Lru<string, string>>();

/** The key in clear, for the call about to be made; a value that does not open here is a clear refusal. */
export function openProviderKey(box: SecretBox | undefined, row: Pick<ProviderKeyRow, 'workspaceId' | 'name' | 'sealedKey'>): string {
  if (!box) {
    fail('provider_key_unreadable', `the key of provider "${row.name}" is stored encrypted, and ${NO_SECRET_KEY}`);
  }
  const aad = keyAad(row.workspaceId, row.name);
  let opened = openedBy.get(box);
  if (!opened) openedBy.set(box, (opened = new Lru(256)));
  try {
    return opened.get(`${aad}\0${row.sealedKey}`, () => box.open(row.sealedKey, aad));
  } catch (err) {
    if (err instanceof SecretBoxError) {
      fail(
        'provider_key_unreadable',
        `the stored key of provider "${row.name}" cannot be opened (${err.message}); an admin should set it again`,
      );
    }
    throw err;
  }
}

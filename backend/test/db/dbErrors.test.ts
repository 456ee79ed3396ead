import assert from 'node:assert/strict';
import type pg from 'pg';
import { createPool } from '../../src/db/pool.js';
import { createPrisma, type Db } from '../../src/db/prisma.js';
import { inTransaction } from '../../src/db/transaction.js';
import { toProblem } from '../../src/http/app.js';
import { freshDatabase } from '../support/db.js';

/**
 * The one mapping of database refusals that mean "a concurrent request changed what this one relied on": real
 * PostgreSQL errors, reaching us both through Prisma (ORM and raw) and from pg directly, become 404 or 409 — never 500.
 */
describe('database errors from races map to 404/409 in one place', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let pool: pg.Pool;
  let db: Db;
  let workspaceId: string;

  before(async () => {
    database = await freshDatabase();
    pool = createPool(database.url, { max: 4 });
    db = createPrisma(pool);
    const ws = await db.workspace.create({ data: { slug: 'errs', name: 'E', type: 'team', plan: 'pro', maxMembers: 5, maxPrompts: 5 } });
    workspaceId = ws.id;
  });
  after(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  async function caught(run: () => Promise<unknown>): Promise<unknown> {
    try {
      await run();
    } catch (err) {
      return err;
    }
    assert.fail('expected the database to refuse');
  }
  const raise = (state: string) => `DO $$ BEGIN RAISE EXCEPTION 'raced' USING ERRCODE = '${state}'; END $$`;
  const missing = '00000000-0000-4000-8000-000000000000';

  const raised: [state: string, status: number, code: string][] = [
    ['23505', 409, 'already_exists'],
    ['40001', 409, 'conflict'],
    ['40P01', 409, 'conflict'],
    ['23P01', 409, 'conflict'],
    ['55P03', 409, 'conflict'],
  ];
  for (const [state, status, code] of raised) {
    it(`SQLSTATE ${state} → ${status} ${code}, through Prisma and from pg`, async () => {
      for (const err of [await caught(() => db.$executeRawUnsafe(raise(state))), await caught(() => pool.query(raise(state)))]) {
        const p = toProblem(err);
        assert.deepEqual([p.status, p.code], [status, code], `${state}: ${JSON.stringify(p)}`);
      }
    });
  }

  it('a foreign key whose target went away (insert or update) → 404 not_found, whichever way it is raised', async () => {
    const insert = `INSERT INTO prompt (workspace_id, folder_id, slug, title) VALUES ('${workspaceId}', '${missing}', 's', 't')`;
    for (const err of [
      await caught(() => db.prompt.create({ data: { workspaceId, folderId: missing, slug: 's', title: 't' } })),
      await caught(() => db.$executeRawUnsafe(insert)),
      await caught(() => pool.query(insert)),
    ]) {
      const p = toProblem(err);
      assert.deepEqual([p.status, p.code], [404, 'not_found'], JSON.stringify(p));
    }
  });

  it('a row still referenced by one that appeared meanwhile (update or delete) → 409 conflict', async () => {
    const folder = await db.folder.create({ data: { workspaceId, name: 'kept' } });
    await db.prompt.create({ data: { workspaceId, folderId: folder.id, slug: 'in', title: 'in' } });
    for (const err of [
      await caught(() => db.folder.delete({ where: { id: folder.id } })),
      await caught(() => pool.query('DELETE FROM folder WHERE id = $1', [folder.id])),
    ]) {
      const p = toProblem(err);
      assert.deepEqual([p.status, p.code], [409, 'conflict'], JSON.stringify(p));
    }
  });

  it('Prisma: a record to update that is gone → 404; a unique index raced → 409 already_exists', async () => {
    const gone = toProblem(await caught(() => db.folder.update({ where: { id: missing }, data: { name: 'x' } })));
    assert.deepEqual([gone.status, gone.code], [404, 'not_found']);
    await db.folder.create({ data: { workspaceId, name: 'twin' } });
    const twin = toProblem(await caught(() => db.folder.create({ data: { workspaceId, name: 'twin' } })));
    assert.deepEqual([twin.status, twin.code], [409, 'already_exists']);
  });

  it('other database errors are not taken for races (a syntax error stays a 500)', async () => {
    assert.equal(toProblem(await caught(() => pool.query('SELEC 1'))).status, 500);
    assert.equal(toProblem(await caught(() => db.$executeRawUnsafe('SELEC 1'))).status, 500);
  });

  describe('inTransaction runs a deadlock victim or serialization failure again', () => {
    for (const state of ['40001', '40P01']) {
      it(`${state} on the first try: rolled back, run again, committed once`, async () => {
        let tries = 0;
        const name = `retried-${state}`;
        const result = await inTransaction(db, async (tx) => {
          tries++;
          await tx.folder.create({ data: { workspaceId, name } });
          if (tries === 1) await tx.$executeRawUnsafe(raise(state));
          return 'done';
        });
        assert.equal(result, 'done');
        assert.equal(tries, 2);
        assert.equal(await db.folder.count({ where: { workspaceId, name } }), 1, 'the failed try left nothing behind');
      });
    }

    it('gives up after three tries; the error then answers 409 conflict', async () => {
      let tries = 0;
      const err = await caught(() =>
        inTransaction(db, async (tx) => {
          tries++;
          await tx.$executeRawUnsafe(raise('40P01'));
        }),
      );
      assert.equal(tries, 3);
      assert.equal(toProblem(err).code, 'conflict');
    });

    it('never runs again for anything else (a domain refusal, a unique violation)', async () => {
      let tries = 0;
      await caught(() =>
        inTransaction(db, async (tx) => {
          tries++;
          await tx.$executeRawUnsafe(raise('23505'));
        }),
      );
      assert.equal(tries, 1);
    });
  });
});

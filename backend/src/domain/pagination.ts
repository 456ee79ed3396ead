import { Id, Timestamp } from '@rocqet/sdk';
import { z } from 'zod';
import { fail } from './errors.js';

/**
 * Cursors are opaque to clients: base64url JSON of the last row's sort key. Every list decodes its cursor here,
 * against the schema of its key, so a forged cursor of any shape (null, a number, a nested object, a date PostgreSQL
 * cannot hold, an integer past its column) is `invalid_cursor` and never reaches SQL.
 */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // falls through to the refusal below
  }
  return fail('invalid_cursor', 'the cursor is not one this list gave out; start again without it');
}

/** Given limit+1 rows, the page and the cursor of its last row if more follow. */
export function paginate<Row>(rows: Row[], limit: number, keyOf: (row: Row) => unknown) {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** (created_at, id): the key of the lists ordered by creation; the date is the contract's own Timestamp. */
export const TimeIdKey = z.tuple([Timestamp, Id]);

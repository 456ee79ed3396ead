import { z } from 'zod';
import { problemCodes } from '../problems.js';

export const Id = z.uuid({ error: 'must be a UUID' });
export const Timestamp = z.iso.datetime({ offset: true });

/** Names of things people type (workspace, folder, token names): trimmed, visible, no path separators. */
export const DisplayName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(120, 'must be at most 120 characters')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const Slug = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'must be lowercase letters, digits and inner hyphens');

export const Email = z
  .email({ error: 'must be an email address' })
  .max(254)
  .transform((s) => s.toLowerCase());

export const Limit = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(200, 'must be at most 200')
  .default(50);

export const Cursor = z.string().min(1).max(512);

export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() });

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A query parameter that may be given once or repeated (`?tag=a&tag=b`). */
export function repeated<T extends z.ZodType<string>>(item: T) {
  return z.preprocess((v) => (v === undefined ? undefined : Array.isArray(v) ? v : [v]), z.array(item).max(50));
}

export const BooleanQuery = z
  .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1');

export const ProblemCodeSchema = z.enum(Object.keys(problemCodes) as [keyof typeof problemCodes]);

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: ProblemCodeSchema,
  requestId: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
}).catchall(z.unknown());
export type Problem = z.infer<typeof Problem>;

export const Role = z.enum(['owner', 'admin', 'editor', 'viewer']);
export type Role = z.infer<typeof Role>;
export const Scope = z.enum(['read', 'write', 'admin']);
export type Scope = z.infer<typeof Scope>;

/**
 * Whether PostgreSQL can store a date and JavaScript read it back: years 1 to 9999 once the offset is applied
 * (`Timestamp` alone lets through year 0 and offsets that carry 9999-12-31 into year 10000).
 */
export function isStorableDate(d: Date): boolean {
  const year = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && year >= 1 && year <= 9999;
}

/**
 * A timestamp the database can hold. Imports date their versions with it; when `Timestamp` itself refuses what the
 * database cannot hold, this becomes the same thing.
 */
export const StorableTimestamp = Timestamp.refine(
  (s) => isStorableDate(new Date(s)),
  'must be a date between the years 1 and 9999 (UTC)',
);

import { z } from 'zod';
import { problemCodes } from '../problems.js';

export const Id = z.uuid({ error: 'must be a UUID' });

/** A UTF-16 surrogate without its pair: JSON can carry one (`"\ud800"`), UTF-8 cannot encode it. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Every text the API takes is built on this one block: text PostgreSQL can store as it was sent. A lone surrogate
 * has no UTF-8 form (the driver would turn it into U+FFFD in one column and fail in another) and a text column
 * refuses NUL; both are refused here, naming the field, so no field answers differently for the same character.
 */
export const Text = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (it holds a lone UTF-16 surrogate)')
  .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

/**
 * The instants the API takes and gives: ISO 8601 with an offset, within years 0001–9999 once in UTC. PostgreSQL
 * refuses year 0 and JavaScript writes years past 9999 as "+010000", so anything outside (9999-12-31T23:59-23:59 is
 * already year 10000) is refused here, for every field and every cursor that holds a date.
 */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');
export const Timestamp = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date and time with an offset (2026-12-01T10:00:00Z)' })
  .refine(
    (s) => {
      const t = Date.parse(s);
      return t >= EARLIEST && t <= LATEST;
    },
    { error: 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z', when: (payload) => payload.issues.length === 0 },
  );

/** A value of a PostgreSQL integer (int4) column: a larger number would fail in SQL instead of in validation. */
export const Int4 = z.int32({ error: 'must be a whole number between -2147483648 and 2147483647' });
/** A commit's number within its prompt (`#seq`): an int4 column, from 1. */
export const Seq = Int4.min(1, 'must be at least 1');

/** Names of things people type (workspace, folder, token names): trimmed, visible, no path separators. */
export const DisplayName = Text.trim()
  .min(1, 'must not be empty')
  .max(120, 'must be at most 120 characters')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const Slug = Text.min(1)
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

export const Cursor = Text.min(1).max(512);

export const PageQuery = z.strictObject({ limit: Limit, cursor: Cursor.optional() });

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

/**
 * A JSON object whose keys are data (variable names), checked like z.record — which leaves a `__proto__` key out of
 * what it returns, so a variable of that name was "missing" though given. This keeps every own key, in an object
 * without a prototype, so that `constructor` or `toString` are only ever the caller's own values.
 */
export function dictionary<V extends z.ZodType>(key: z.ZodType<string>, value: V) {
  const documented = z.toJSONSchema(z.record(key, value), { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete documented.$schema;
  return z
    .custom<Record<string, z.input<V>>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: 'must be an object' })
    .transform((given, ctx) => {
      const out = Object.create(null) as Record<string, z.output<V>>;
      for (const [k, v] of Object.entries(given)) {
        const name = key.safeParse(k);
        const parsed = value.safeParse(v);
        for (const issue of [...(name.error?.issues ?? []), ...(parsed.error?.issues ?? [])]) {
          ctx.issues.push({ code: 'custom', message: issue.message, path: [k, ...issue.path], input: v });
        }
        if (parsed.success) out[k] = parsed.data;
      }
      return out;
    })
    .meta(documented);
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
 * (the same bounds as `Timestamp`, for dates that are already parsed).
 */
export function isStorableDate(d: Date): boolean {
  const year = d.getUTCFullYear();
  return !Number.isNaN(d.getTime()) && year >= 1 && year <= 9999;
}

/** Imports date their versions with this name; `Timestamp` itself holds only what the database can store. */
export const StorableTimestamp = Timestamp;

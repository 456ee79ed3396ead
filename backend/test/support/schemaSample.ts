import fc from 'fast-check';
import { z } from 'zod';

/** The part of JSON Schema that z.toJSONSchema writes for the contract's inputs. */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  minItems?: number;
  minimum?: number;
  maximum?: number;
}

export type Path = (string | number)[];

/** What a contract schema takes, as its clients see it. */
export function inputSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

const typesOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type]);

/**
 * Values the schema takes as far as its JSON Schema tells (formats and bounds; not patterns or refinements, so a
 * few come out invalid): UUIDs from `uuid`, so that requests can name things that exist.
 */
export function validValue(s: JsonSchema, uuid: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const options = (s.anyOf ?? s.oneOf)?.filter((o) => o.type !== 'null');
  if (options) return options.length ? fc.oneof(...options.map((o) => validValue(o, uuid))) : fc.constant(null);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = typesOf(s)[0];
  switch (type) {
    case 'string':
      if (s.format === 'uuid') return uuid;
      if (s.format === 'email') return fc.nat(1_000_000).map((n) => `fuzz-${n}@example.com`);
      if (s.format === 'date-time') return fc.constantFrom('2026-12-01T10:00:00Z', '2027-01-01T00:00:00+02:00');
      // Distinct names, so that creating one thing twice is not all a run gets to (already_exists).
      return fc.oneof(fc.constant('main'), fc.stringMatching(/^[a-z][a-z0-9]{5,10}$/));
    case 'integer':
    case 'number': {
      const min = s.minimum ?? 0;
      return fc.integer({ min, max: Math.min(s.maximum ?? min + 10, min + 10) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(s.items ? validValue(s.items, uuid) : fc.constant('x'), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, 2) });
    case 'object': {
      // Optional fields mostly left out: each is one more chance for the request to be refused for another reason.
      const required = new Set(s.required ?? []);
      const props = Object.entries(s.properties ?? {}).map(([k, v]) => {
        const value = validValue(v, uuid);
        return [k, required.has(k) ? value : fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: value, weight: 1 })] as const;
      });
      return fc.record(Object.fromEntries(props)).map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)));
    }
    default:
      return fc.constant('x');
  }
}

/** Every place a value goes in the schema (properties, array items, additional properties), with its schema. */
export function slotsOf(s: JsonSchema, path: Path = []): { path: Path; schema: JsonSchema }[] {
  const options = s.anyOf ?? s.oneOf;
  if (options) return options.filter((o) => o.type !== 'null').flatMap((o) => slotsOf(o, path));
  const out = [{ path, schema: s }];
  const types = typesOf(s);
  if (types.includes('array') && s.items) out.push(...slotsOf(s.items, [...path, 0]));
  if (types.includes('object')) {
    for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...slotsOf(v, [...path, k]));
    if (s.additionalProperties && typeof s.additionalProperties === 'object') out.push(...slotsOf(s.additionalProperties, [...path, 'k']));
  }
  return out;
}

/** `target` with `value` put at `path`, making the objects and arrays on the way. */
export function withValueAt(target: unknown, path: Path, value: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return value;
  if (typeof head === 'number') {
    const list = Array.isArray(target) ? [...(target as unknown[])] : [];
    list[Math.min(head, list.length)] = withValueAt(list[head], rest, value);
    return list;
  }
  const obj: Record<string, unknown> = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  Object.defineProperty(obj, head, { value: withValueAt(obj[head], rest, value), enumerable: true, writable: true, configurable: true });
  return obj;
}

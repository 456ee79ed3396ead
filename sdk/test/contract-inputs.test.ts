import assert from 'node:assert/strict';
import { z } from 'zod';
import { Int4, Seq, Text, Timestamp, routes, type RouteDef } from '../src/index.js';

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
};
type Path = (string | number)[];

/**
 * Every place a string goes in a schema (as its clients see it: the JSON Schema of its input), each with a value
 * that holds `bad` there and the path where the refusal must point.
 */
function stringSlots(schema: JsonSchema, bad: string): { path: Path; value: unknown }[] {
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return options.flatMap((o) => stringSlots(o, bad));
  if (schema.enum !== undefined || schema.const !== undefined) return []; // a fixed choice, not text
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const out: { path: Path; value: unknown }[] = [];
  if (types.includes('string')) out.push({ path: [], value: bad });
  if (types.includes('array') && schema.items) {
    for (const s of stringSlots(schema.items, bad)) out.push({ path: [0, ...s.path], value: [s.value] });
  }
  if (types.includes('object')) {
    for (const [key, prop] of Object.entries(schema.properties ?? {})) {
      for (const s of stringSlots(prop, bad)) out.push({ path: [key, ...s.path], value: { [key]: s.value } });
    }
    const extra = schema.additionalProperties;
    if (extra && typeof extra === 'object') {
      if (schema.propertyNames?.type === 'string') out.push({ path: [bad], value: { [bad]: 'x' } });
      for (const s of stringSlots(extra, bad)) out.push({ path: ['k', ...s.path], value: { k: s.value } });
    }
  }
  return out;
}

/** The import's `data` is a whole file: the import checks each item of it with these same blocks. */
const FILE_PAYLOADS = new Set(['importPrompts.body.data']);

describe('contract: the inputs every route takes', () => {
  const bads = [
    ['a lone high surrogate', '\ud800'],
    ['a lone low surrogate after text', 'ok\udc00'],
    ['a NUL', 'a\u0000b'],
  ] as const;
  const seen = new Set<string>();
  for (const [id, def] of Object.entries(routes as Record<string, RouteDef>)) {
    const parts = (['params', 'query', 'body'] as const).filter((where) => def[where] !== undefined);
    if (parts.length === 0) continue;
    it(`${id}: every text field of its ${parts.join(', ')} refuses a lone surrogate and NUL, naming the field`, () => {
      for (const where of parts) {
        const schema = def[where] as z.ZodType;
        const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
        for (const [what, bad] of bads) {
          for (const slot of stringSlots(json, bad)) {
            const name = [id, where, ...slot.path.map((p) => (p === bad ? '<key>' : p))].join('.');
            if (FILE_PAYLOADS.has([id, where, slot.path[0]].join('.'))) continue;
            seen.add(name);
            const result = schema.safeParse(slot.value);
            const at = result.error?.issues.filter((i) => JSON.stringify(i.path) === JSON.stringify(slot.path)) ?? [];
            assert.ok(at.length > 0, `${what} at ${name} was not refused there: ${JSON.stringify(result.error?.issues ?? 'accepted')}`);
          }
        }
      }
    });
  }

  it('(the walk above reached the text fields the defects were found in)', () => {
    for (const name of ['createPrompt.body.tags.0', 'updatePrompt.body.tags.0', 'createPrompt.body.title', 'createPrompt.body.content',
      'render.body.values.k', 'render.body.values.<key>', 'search.query.q', 'listAudit.query.action', 'getPrompt.params.prompt']) {
      assert.ok(seen.has(name), `${name} not among ${[...seen].join(' ')}`);
    }
  });

  it('Text names each character it refuses; surrogate pairs, U+FFFF, combining marks and RTL text are fine', () => {
    assert.deepEqual(Text.safeParse('\ud800').error?.issues.map((i) => i.message), ['must be well-formed Unicode (it holds a lone UTF-16 surrogate)']);
    assert.deepEqual(Text.safeParse('\u0000').error?.issues.map((i) => i.message), ['must not contain NUL characters']);
    for (const ok of ['😀', '\uffff', 'e\u0301', 'שלום', '\u202e', 'x'.repeat(10_000)]) assert.equal(Text.parse(ok), ok);
  });

  it('Timestamp takes years 0001 to 9999 in UTC, any offset, and refuses what PostgreSQL or toISOString cannot carry', () => {
    for (const ok of ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59+23:59', '2026-12-01T10:00:00.123456+05:30']) {
      assert.ok(Timestamp.safeParse(ok).success, ok);
    }
    for (const bad of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59-23:59', '+275760-09-13T00:00:00Z', '-004714-01-01T00:00:00Z']) {
      assert.ok(!Timestamp.safeParse(bad).success, bad);
    }
    // One issue for a malformed date, not a second about its range.
    assert.equal(Timestamp.safeParse('yesterday').error?.issues.length, 1);
  });

  it('Int4 and Seq hold exactly what an integer column holds', () => {
    assert.ok(Int4.safeParse(2_147_483_647).success && Int4.safeParse(-2_147_483_648).success);
    for (const bad of [2_147_483_648, -2_147_483_649, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, 1e308, 1.5, Number.NaN, Infinity]) {
      assert.ok(!Int4.safeParse(bad).success, String(bad));
    }
    assert.ok(!Seq.safeParse(0).success && Seq.safeParse(1).success);
  });

  it('render values keep every name as given: __proto__, constructor, toString and hasOwnProperty are ordinary keys', () => {
    const body = (routes.render as RouteDef).body!;
    const given = JSON.parse('{"values":{"__proto__":"P","constructor":"C","toString":"T","hasOwnProperty":"H"}}') as unknown;
    const { values } = body.parse(given) as { values: Record<string, unknown> };
    assert.deepEqual(Object.entries(values), [['__proto__', 'P'], ['constructor', 'C'], ['toString', 'T'], ['hasOwnProperty', 'H']]);
    assert.equal(Object.getPrototypeOf(values), null);
    const refused = body.safeParse(JSON.parse('{"values":{"__proto__":{"polluted":true}}}'));
    assert.deepEqual(refused.error?.issues.map((i) => i.path), [['values', '__proto__']]);
  });
});

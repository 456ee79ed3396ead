import fc from 'fast-check';

/**
 * Generators for the input classes issue 14's probe broke the API with: text PostgreSQL cannot store, instants it
 * cannot hold, numbers at and past the integer limits, forged cursors of every JSON shape and query text the
 * tsquery parser chokes on. The fuzz test puts them into otherwise valid requests of every route.
 */

/** Unicode edge cases: lone surrogates, NUL and other controls, noncharacters, marks, bidi, and very long text. */
export const edgeText: fc.Arbitrary<string> = fc.oneof(
  // What PostgreSQL cannot store first: these broke the API; the rest must simply be answered.
  { arbitrary: fc.constantFrom('\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', 'ok\udbff', '\u0000', 'a\u0000b'), weight: 6 },
  {
    arbitrary: fc.constantFrom(
      '\u0001\u0007\u001b[31m\u007f', '\t\r\n', '\uffff', '\ufffe', '\ufeffBOM', 'e\u0301', '\u202eevil\u202c', '\u200f\u200d', '👩‍💻🏳️‍🌈',
      '\u0085\u2028\u2029', '',
    ),
    weight: 3,
  },
  { arbitrary: fc.integer({ min: 1, max: 400 }).map((n) => `e${'\u0301'.repeat(n)}`), weight: 1 },
  { arbitrary: fc.constantFrom(2_001, 50_000, 200_001).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
);

const pad = (n: number, width: number) => String(Math.abs(n)).padStart(width, '0');

/** ISO 8601 text for any year (expanded ±YYYYYY outside 0000–9999) and offset, valid-looking or not. */
const anyInstant = fc
  .record({
    year: fc.oneof(fc.integer({ min: -300_000, max: 300_000 }), fc.constantFrom(0, 1, 9999, 10_000, 275_760, -4714)),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hour: fc.integer({ min: 0, max: 24 }),
    offset: fc.oneof(fc.constant(null), fc.integer({ min: -24 * 60 + 1, max: 24 * 60 - 1 })),
  })
  .map(({ year, month, day, hour, offset }) => {
    const y = year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? '-' : '+'}${pad(year, 6)}`;
    const o = offset === null ? 'Z' : `${offset < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
    return `${y}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:59:59${o}`;
  });

/** Instants at and past what PostgreSQL and toISOString carry, and offsets that carry one over a limit. */
export const edgeTimestamp: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom('0000-01-01T00:00:00Z', '0000-06-15T12:00:00+05:00', '9999-12-31T23:59:59-23:59', '9999-12-31T12:00:00-12:00'), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '0001-01-01T00:00:00Z', '0001-01-01T00:00:00+00:01', '9999-12-31T23:59:59Z', '9999-12-31T23:59:59+23:59', '+275760-09-13T00:00:00Z',
      '-271821-04-20T00:00:00Z', '-004714-11-24T00:00:00Z', '+010000-01-01T00:00:00Z', '2026-02-29T00:00:00Z',
      '2026-12-01T10:00:00.123456789+05:30', '1970-01-01T00:00:00Z',
    ),
    weight: 3,
  },
  { arbitrary: anyInstant, weight: 1 },
);

/** Numbers at and beyond int32, 2^53 and int64, and the odd ones JSON can carry. */
export const EDGE_NUMBERS = [
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, 1e308, -1e308, 0, -1, 0.5,
  5e-324,
];
export const edgeNumber: fc.Arbitrary<number> = fc.oneof(
  { arbitrary: fc.constantFrom(...EDGE_NUMBERS), weight: 4 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }), weight: 1 },
);
/** The same as query-string text, with what only text can say (past double range, hex, spaces). */
export const edgeNumberText: fc.Arbitrary<string> = fc.oneof(
  edgeNumber.map(String),
  fc.constantFrom('9223372036854775807', '9223372036854775808', '99999999999999999999999', '1e400', '-1e400', '0x7fffffff', ' 1', '+1', '.5', 'Infinity', 'NaN', '00000000001'),
);

const base64 = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url');

/** A cursor of any JSON shape, including each list's own shape holding out-of-range values. */
export const forgedCursor: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(null, true, 0, '', 'x', [], {}, [null, null], [1], { o: null }).map(base64), weight: 3 },
  { arbitrary: edgeNumber.map(base64), weight: 3 },
  { arbitrary: fc.tuple(edgeTimestamp, fc.uuid()).map(base64), weight: 3 },
  { arbitrary: fc.record({ o: fc.oneof(edgeNumber, fc.jsonValue()), f: fc.oneof(fc.string(), fc.jsonValue()) }).map(base64), weight: 2 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map(base64), weight: 2 },
  { arbitrary: fc.tuple(edgeTimestamp, fc.uuid(), fc.jsonValue()).map(base64), weight: 1 },
  { arbitrary: edgeNumberText.map(base64), weight: 1 },
  { arbitrary: fc.integer({ min: 10, max: 200 }).map((n) => base64(JSON.parse('['.repeat(n) + ']'.repeat(n)))), weight: 1 },
  { arbitrary: fc.string({ maxLength: 40 }), weight: 1 },
);

/** Pieces the tsquery parsers treat specially, spaces PostgreSQL does and does not see, and word characters. */
export const SEARCH_PIECES = [
  '-', '-', '- ', '!', '&', '|', '(', ')', '"', "'", ':', '*', '<->', '<2>', ' ', '\u3000', '\t', '\\', 'or', 'OR', 'a', 'é', 'e\u0301',
  '😀', 'שלום', '%', '_', '.', '@', '/', '+', 'gpt-4', 'well-known', ':A', ':*',
];
export const pathologicalSearch: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom('-', '- ', '-!', '-&', '-\u3000', '!', '(', '"', 'or '), fc.integer({ min: 30, max: 200 })).map(([p, n]) => `${p.repeat(n)}x`), weight: 2 },
  { arbitrary: fc.array(fc.constantFrom(...SEARCH_PIECES), { minLength: 1, maxLength: 200 }).map((p) => p.join('')), weight: 1 },
);

/**
 * Percent-encodes text for a URL byte by byte, as a client would send it: lone surrogates become U+FFFD (no URL can
 * carry one), NUL becomes %00.
 */
export function encodeUrlText(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
}

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  type FrontMatter,
  type ParsedPrompt,
  TemplateError,
  type VariableSpec,
  isRequired,
  isTemplateError,
  parsePrompt,
  renderPrompt,
  serializePrompt,
  validatePrompt,
} from '../src/template/index.js';
import { parseCsv, parseCsvRecords } from './support/csv.js';

const DATA_DIR = fileURLToPath(new URL('../../../shared/data/', import.meta.url));

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}

function expectTemplateError(fn: () => unknown, code: TemplateError['code']): TemplateError {
  const error = catchError(fn);
  assert.ok(error instanceof TemplateError, `expected TemplateError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

function frontMatterError(text: string): { line: number; column: number } {
  const error = expectTemplateError(() => parsePrompt(text), 'invalid_front_matter');
  return error.details as { line: number; column: number };
}

describe('template: parsePrompt', () => {
  it('treats a document without front matter as all body', () => {
    const text = 'Summarise {{topic}}.\n\n---\nA rule is not front matter here.\n';
    const parsed = parsePrompt(text);
    assert.deepEqual(parsed.frontMatter, { variables: {}, extra: {} });
    assert.equal(parsed.body, text);
    assert.equal(parsed.bodyStartLine, 1);
    assert.deepEqual(parsed.placeholders, [{ name: 'topic', line: 1, column: 11 }]);
    assert.deepEqual(parsed.undeclared, ['topic']);
  });

  it('parses the empty document', () => {
    assert.deepEqual(parsePrompt(''), {
      frontMatter: { variables: {}, extra: {} },
      body: '',
      bodyStartLine: 1,
      placeholders: [],
      variables: [],
      undeclared: [],
      unused: [],
      warnings: [],
    });
  });

  it('reads every front matter field and keeps unknown keys', () => {
    const text = [
      '---',
      'description: Review a pull request',
      'model: gpt-4o',
      'parameters:',
      '  temperature: 0.2',
      '  stop: ["\\n\\n"]',
      'variables:',
      '  language:',
      '    description: Programming language',
      '    enum: [go, rust, 3]',
      '    default: go',
      '  diff:',
      '  tone:',
      '    required: false',
      'mode: agent',
      'tools: [search, edit]',
      '---',
      '{{diff}} in {{ language }}; {{ticket}}',
      '',
    ].join('\n');
    const parsed = parsePrompt(text);
    assert.deepEqual(parsed.frontMatter, {
      description: 'Review a pull request',
      model: 'gpt-4o',
      parameters: { temperature: 0.2, stop: ['\n\n'] },
      variables: {
        language: { description: 'Programming language', enum: ['go', 'rust', 3], default: 'go' },
        diff: {},
        tone: { required: false },
      },
      extra: { mode: 'agent', tools: ['search', 'edit'] },
    });
    assert.equal(parsed.bodyStartLine, 18);
    assert.equal(parsed.body, '{{diff}} in {{ language }}; {{ticket}}\n');
    assert.deepEqual(parsed.placeholders, [
      { name: 'diff', line: 18, column: 1 },
      { name: 'language', line: 18, column: 13 },
      { name: 'ticket', line: 18, column: 29 },
    ]);
    assert.deepEqual(parsed.variables, ['language', 'diff', 'tone', 'ticket']);
    assert.deepEqual(parsed.undeclared, ['ticket']);
    assert.deepEqual(parsed.unused, ['tone']);
    assert.deepEqual(parsed.warnings, []);
    const specs: Record<string, VariableSpec> = parsed.frontMatter.variables;
    assert.deepEqual(
      ['language', 'diff', 'tone'].map((name) => isRequired(specs[name] as VariableSpec)),
      [false, true, false],
    );
  });

  it('accepts variables as a list of names, each required', () => {
    const parsed = parsePrompt('---\nvariables: [a, b.c, d-e]\n---\n{{a}}');
    assert.deepEqual(parsed.frontMatter.variables, { a: {}, 'b.c': {}, 'd-e': {} });
    assert.deepEqual(parsed.unused, ['b.c', 'd-e']);
    assert.ok(Object.values(parsed.frontMatter.variables).every(isRequired));
  });

  it('treats an empty front matter block as no fields', () => {
    const parsed = parsePrompt('---\n---\n{{x}}');
    assert.deepEqual(parsed.frontMatter, { variables: {}, extra: {} });
    assert.equal(parsed.bodyStartLine, 3);
    assert.deepEqual(parsed.placeholders, [{ name: 'x', line: 3, column: 1 }]);
  });

  it('accepts a closing delimiter on the last line with nothing after it', () => {
    const parsed = parsePrompt('---\nmodel: m\n---');
    assert.equal(parsed.frontMatter.model, 'm');
    assert.equal(parsed.body, '');
    assert.equal(parsed.bodyStartLine, 4);
  });

  it('handles CRLF line endings in front matter and body', () => {
    const text = '---\r\ndescription: d\r\nvariables:\r\n  who: {}\r\n---\r\nHello\r\n  {{who}}!\r\n';
    const parsed = parsePrompt(text);
    assert.equal(parsed.frontMatter.description, 'd');
    assert.deepEqual(parsed.frontMatter.variables, { who: {} });
    assert.equal(parsed.body, 'Hello\r\n  {{who}}!\r\n');
    assert.equal(parsed.bodyStartLine, 6);
    assert.deepEqual(parsed.placeholders, [{ name: 'who', line: 7, column: 3 }]);
    assert.equal(renderPrompt(parsed, { who: 'you' }).text, 'Hello\r\n  you!\r\n');
  });

  it('counts columns in UTF-16 code units, as editors do', () => {
    const parsed = parsePrompt('---\ndescription: Grüße 👋\n---\n👋 é {{name}}\n日本語{{ x }}');
    assert.equal(parsed.frontMatter.description, 'Grüße 👋');
    assert.deepEqual(parsed.placeholders, [
      { name: 'name', line: 4, column: 6 },
      { name: 'x', line: 5, column: 4 },
    ]);
  });

  it('ignores a leading byte order mark', () => {
    const parsed = parsePrompt('\uFEFF---\nmodel: m\n---\n{{a}}');
    assert.equal(parsed.frontMatter.model, 'm');
    assert.equal(parsed.body, '{{a}}');
    assert.deepEqual(parsed.placeholders, [{ name: 'a', line: 4, column: 1 }]);
  });

  it('does not treat an escaped \\{{ as a placeholder', () => {
    const parsed = parsePrompt('a \\{{name}} b {{name2}}');
    assert.deepEqual(parsed.placeholders, [{ name: 'name2', line: 1, column: 15 }]);
    assert.deepEqual(parsed.warnings, []);
  });

  it('keeps {{ not a name }} as text and warns where it is', () => {
    const parsed = parsePrompt('---\n---\nline one\nsay {{ not a name }} and {{ok}} and {{');
    assert.deepEqual(parsed.placeholders, [{ name: 'ok', line: 4, column: 26 }]);
    assert.deepEqual(
      parsed.warnings.map((w) => [w.line, w.column]),
      [
        [4, 5],
        [4, 37],
      ],
    );
    assert.match(parsed.warnings[0]?.message ?? '', /"\{\{ not a name \}\}" is not a valid placeholder/);
    assert.match(parsed.warnings[1]?.message ?? '', /not closed by "}}"/);
  });

  it('finds a placeholder nested in a non-placeholder and the innermost of a brace run', () => {
    const parsed = parsePrompt('{{f(json, "{{alg}}")}} {{{c}}}');
    assert.deepEqual(
      parsed.placeholders.map((p) => [p.name, p.column]),
      [
        ['alg', 12],
        ['c', 25],
      ],
    );
    assert.equal(parsed.warnings.length, 1);
    assert.equal(renderPrompt(parsed, { alg: 'HS256', c: 'C' }).text, '{{f(json, "HS256")}} {C}');
  });

  it('passes YAML warnings through at their place in the document', () => {
    const warnings = parsePrompt('---\nb: 1\na: !foo x\n---\n').warnings;
    assert.deepEqual(
      warnings.map((w) => [w.line, w.column]),
      [[3, 4]],
    );
    assert.match(warnings[0]?.message ?? '', /!foo/);
  });

  it('does not look for placeholders in the front matter', () => {
    const parsed = parsePrompt('---\ndescription: "uses {{x}}"\n---\nbody');
    assert.deepEqual(parsed.placeholders, []);
    assert.deepEqual(parsed.variables, []);
  });

  describe('invalid front matter', () => {
    it('reports YAML syntax errors at their place in the whole document', () => {
      assert.deepEqual(frontMatterError('---\na: 1\na: 2\n---\n'), { line: 3, column: 1 });
      assert.deepEqual(frontMatterError('---\ndescription: x\n  bad: y\n---\n'), { line: 2, column: 14 });
      assert.deepEqual(frontMatterError('---\r\ndescription: x\r\n\tbad: y\r\n---\r\n'), { line: 3, column: 1 });
    });

    it('rejects an unterminated block', () => {
      assert.deepEqual(frontMatterError('---\ndescription: x\nbody {{a}}\n'), { line: 1, column: 1 });
      assert.deepEqual(frontMatterError('---'), { line: 1, column: 1 });
    });

    it('rejects front matter that is not a mapping', () => {
      assert.deepEqual(frontMatterError('---\n- a\n- b\n---\n'), { line: 2, column: 1 });
      assert.deepEqual(frontMatterError('---\njust text\n---\n'), { line: 2, column: 1 });
    });

    it('rejects fields of the wrong type', () => {
      assert.deepEqual(frontMatterError('---\ndescription: [a]\n---\n'), { line: 2, column: 14 });
      assert.deepEqual(frontMatterError('---\nmodel: 4\n---\n'), { line: 2, column: 8 });
      assert.deepEqual(frontMatterError('---\nparameters: hot\n---\n'), { line: 2, column: 13 });
    });

    it('rejects variables of the wrong shape', () => {
      assert.deepEqual(frontMatterError('---\nvariables: 3\n---\n'), { line: 2, column: 12 });
      assert.deepEqual(frontMatterError('---\nvariables: [a, 3]\n---\n'), { line: 2, column: 16 });
      assert.deepEqual(frontMatterError('---\nvariables: [a, a]\n---\n'), { line: 2, column: 16 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  bad name: {}\n---\n'), { line: 3, column: 3 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  a: text\n---\n'), { line: 3, column: 6 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  a:\n    requried: false\n---\n'), { line: 4, column: 5 });
    });

    it('rejects a non-boolean required, a non-list enum and a default outside the enum', () => {
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    required: yes\n---\n'), { line: 4, column: 15 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    enum: de\n---\n'), { line: 4, column: 11 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    enum: []\n---\n'), { line: 4, column: 11 });
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    enum: [de, {x: 1}]\n---\n'), {
        line: 4,
        column: 16,
      });
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    default: fr\n    enum: [de, en]\n---\n'), {
        line: 4,
        column: 14,
      });
      assert.deepEqual(frontMatterError('---\nvariables:\n  lang:\n    default: [fr]\n---\n'), { line: 4, column: 14 });
    });

    it('accepts a default that matches the enum only as a string', () => {
      const parsed = parsePrompt('---\nvariables:\n  n:\n    default: "3"\n    enum: [1, 3]\n---\n');
      assert.deepEqual(parsed.frontMatter.variables['n'], { default: '3', enum: [1, 3] });
    });
  });
});

describe('template: validatePrompt', () => {
  it('returns the parse on success and the TemplateError on failure', () => {
    const good = validatePrompt('{{a}}');
    assert.ok(good.ok);
    assert.deepEqual(good.parsed.variables, ['a']);
    const bad = validatePrompt('---\na: [\n---\n');
    assert.ok(!bad.ok);
    assert.ok(bad.error instanceof TemplateError);
    assert.equal(bad.error.code, 'invalid_front_matter');
  });
});

describe('template: renderPrompt', () => {
  const doc = [
    '---',
    'variables:',
    '  lang:',
    '    enum: [de, en, 3]',
    '    default: en',
    '  text: {}',
    '  note:',
    '    required: false',
    '---',
    'Translate to {{lang}}: {{ text }}{{note}} [{{lang}}]',
  ].join('\n');

  it('substitutes values in the body only, and reports used and defaulted names', () => {
    assert.deepEqual(renderPrompt(doc, { text: 'Hallo' }), {
      text: 'Translate to en: Hallo [en]',
      used: ['lang', 'text', 'note'],
      defaulted: ['lang'],
    });
    assert.deepEqual(renderPrompt(doc, { text: 'x', lang: 'de', note: ' (formal)', unknown: 1 }), {
      text: 'Translate to de: x (formal) [de]',
      used: ['lang', 'text', 'note'],
      defaulted: [],
    });
  });

  it('renders a ParsedPrompt the same as its text', () => {
    assert.deepEqual(renderPrompt(parsePrompt(doc), { text: 't' }), renderPrompt(doc, { text: 't' }));
  });

  it('names all missing variables, declared and undeclared', () => {
    const error = expectTemplateError(
      () => renderPrompt('---\nvariables: [a, unusedButRequired]\n---\n{{b}} {{a}} {{c}} {{b}}', { c: 'x' }),
      'missing_variables',
    );
    assert.deepEqual(error.details, { missing: ['a', 'unusedButRequired', 'b'] });
  });

  it('leaves missing undeclared placeholders as written when not strict', () => {
    const result = renderPrompt('---\nvariables: [a]\n---\n{{a}} {{ other }} {{more}}', { a: 1, more: true }, { strict: false });
    assert.deepEqual(result, { text: '1 {{ other }} true', used: ['a', 'more'], defaulted: [] });
    const error = expectTemplateError(() => renderPrompt('---\nvariables: [a]\n---\n{{a}}', {}, { strict: false }), 'missing_variables');
    assert.deepEqual(error.details, { missing: ['a'] });
  });

  it('rejects values outside the enum, comparing as strings', () => {
    const error = expectTemplateError(() => renderPrompt(doc, { text: 't', lang: 'fr' }), 'invalid_variable_value');
    assert.deepEqual(error.details, { variable: 'lang', allowed: ['de', 'en', 3] });
    assert.equal(renderPrompt(doc, { text: 't', lang: '3' }).text, 'Translate to 3: t [3]');
    assert.equal(renderPrompt('---\nvariables:\n  n:\n    enum: ["3"]\n---\n{{n}}', { n: 3 }).text, '3');
  });

  it('rejects values that are not strings, numbers or booleans', () => {
    const values = { text: { nested: true } } as unknown as Record<string, string>;
    const error = expectTemplateError(() => renderPrompt(doc, values), 'invalid_variable_value');
    assert.deepEqual(error.details, { variable: 'text' });
  });

  it('turns \\{{ into {{ and does not expand placeholders inside values', () => {
    const result = renderPrompt('\\{{a}} {{a}} \\{{ b }}', { a: '{{b}}' });
    assert.equal(result.text, '{{a}} {{b}} {{ b }}');
  });

  it('does not take names like constructor from the prototype chain', () => {
    const error = expectTemplateError(() => renderPrompt('{{constructor}} {{__proto__}}', {}), 'missing_variables');
    assert.deepEqual(error.details, { missing: ['constructor', '__proto__'] });
    const declared = parsePrompt('---\nvariables:\n  __proto__:\n    default: p\n---\n{{__proto__}}');
    assert.deepEqual(Object.keys(declared.frontMatter.variables), ['__proto__']);
    assert.equal(renderPrompt(declared, {}).text, 'p');
  });

  it('throws invalid_front_matter for a document it cannot parse', () => {
    expectTemplateError(() => renderPrompt('---\nvariables: 1\n---\n', {}), 'invalid_front_matter');
  });
});

describe('template: serializePrompt', () => {
  it('writes the fields in a stable order and reads them back', () => {
    const fm: FrontMatter = {
      description: 'd',
      variables: { a: { required: false }, b: {} },
      extra: { mode: 'agent' },
    };
    const text = serializePrompt(fm, 'Hi {{a}}\n');
    assert.equal(text, '---\ndescription: d\nvariables:\n  a:\n    required: false\n  b: {}\nmode: agent\n---\nHi {{a}}\n');
    const parsed = parsePrompt(text);
    assert.deepEqual(parsed.frontMatter, fm);
    assert.equal(parsed.body, 'Hi {{a}}\n');
  });

  it('omits empty front matter unless the body would be misread without it', () => {
    assert.equal(serializePrompt({}, 'plain'), 'plain');
    assert.equal(serializePrompt({ variables: {}, extra: {} }, ''), '');
    const tricky = '---\nnot: front matter\n---\n';
    const text = serializePrompt({}, tricky);
    assert.equal(text, `---\n---\n${tricky}`);
    assert.equal(parsePrompt(text).body, tricky);
  });

  it('follows the body in using CRLF', () => {
    const text = serializePrompt({ model: 'm', parameters: { multi: 'a\nb' } }, 'x\r\ny');
    assert.ok(!/[^\r]\n/.test(text), JSON.stringify(text));
    const parsed = parsePrompt(text);
    assert.deepEqual(parsed.frontMatter, { model: 'm', parameters: { multi: 'a\nb' }, variables: {}, extra: {} });
    assert.equal(parsed.body, 'x\r\ny');
  });

  it('refuses front matter that would not parse back', () => {
    expectTemplateError(
      () => serializePrompt({ variables: { a: { enum: ['x'], default: 'y' } } }, ''),
      'invalid_front_matter',
    );
    assert.throws(() => serializePrompt({ extra: { model: 'clash' } }, ''), TypeError);
  });
});

// Pieces that make random text hit the interesting paths far more often than uniform characters would.
const piece = fc.oneof(
  fc.constantFrom('---', '\n', '\r\n', '{{', '}}', '\\', ' ', '\uFEFF', 'a', '.', 'variables:', '  x:', ' default: 1', ' enum: [1]', ' - y'),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const messyText = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
const scalar = fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.integer());

const variableSpec: fc.Arbitrary<VariableSpec> = fc
  .record(
    {
      description: fc.string({ unit: 'binary' }),
      required: fc.boolean(),
      enum: fc.array(scalar, { minLength: 1, maxLength: 4 }) as fc.Arbitrary<Array<string | number>>,
      default: fc.oneof(scalar, fc.boolean()),
    },
    { requiredKeys: [], noNullPrototype: true },
  )
  .chain((spec) => {
    if (spec.enum === undefined || spec.default === undefined) return fc.constant(spec as VariableSpec);
    return fc.constantFrom(...spec.enum).map((allowed) => ({ ...spec, default: allowed }) as VariableSpec);
  });

const frontMatter: fc.Arbitrary<FrontMatter> = fc
  .record(
    {
      description: fc.string({ unit: 'binary' }),
      model: fc.string({ unit: 'binary' }),
      parameters: fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), {
        noNullPrototype: true,
      }),
      variables: fc.dictionary(name, variableSpec, { maxKeys: 4, noNullPrototype: true }),
      extra: fc.dictionary(
        fc.string({ unit: 'binary', maxLength: 6 }).filter((k) => !['description', 'model', 'parameters', 'variables'].includes(k)),
        fc.jsonValue({ maxDepth: 2 }),
        { maxKeys: 3, noNullPrototype: true },
      ),
    },
    { requiredKeys: ['variables', 'extra'], noNullPrototype: true },
  )
  .map((fm) => fm as FrontMatter);

describe('template: properties', () => {
  it('parsePrompt(serializePrompt(fm, body)) gives back fm and body', () => {
    fc.assert(
      fc.property(frontMatter, messyText, (fm, body) => {
        const parsed = parsePrompt(serializePrompt(fm, body));
        assert.deepStrictEqual(parsed.frontMatter, fm);
        assert.equal(parsed.body, body);
      }),
      { numRuns: 500 },
    );
  });

  it('renderPrompt throws nothing but TemplateError', () => {
    // Serialized front matter reaches the enum, default and required paths that random text seldom does.
    const documents = fc.oneof(
      messyText,
      fc.tuple(frontMatter, messyText).map(([fm, body]) => serializePrompt(fm, body)),
    );
    const values = fc.dictionary(fc.oneof(name, fc.string()), fc.oneof(fc.string(), fc.integer(), fc.boolean()), {
      maxKeys: 5,
    });
    fc.assert(
      fc.property(documents, values, fc.boolean(), (text, vals, strict) => {
        try {
          renderPrompt(text, vals, { strict });
        } catch (error) {
          assert.ok(isTemplateError(error), `unexpected ${String(error)}`);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('renders every placeholder once values cover them all', () => {
    fc.assert(
      fc.property(messyText, (text) => {
        const checked = validatePrompt(text);
        if (!checked.ok) return;
        assertRendersCompletely(checked.parsed);
      }),
      { numRuns: 500 },
    );
  });
});

describe('template: csv reader (test support)', () => {
  it('reads quotes, commas and line breaks inside fields', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n,"",last\n';
    assert.deepEqual(parseCsv(text), [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
      ['', '', 'last'],
    ]);
    assert.deepEqual(parseCsvRecords('h1,h2\n1\n'), [{ h1: '1', h2: '' }]);
  });
});

const PLACEHOLDER_IN_OUTPUT = /\{\{[ \t]*[A-Za-z_][A-Za-z0-9_.-]*[ \t]*\}\}/;
const MARK = '\u27E6';

/**
 * Gives every variable a marked value, then checks that each placeholder produced exactly one mark and that no
 * placeholder syntax survives (documents with \{{ escapes are exempt from the latter: they render as {{ on purpose).
 */
function assertRendersCompletely(parsed: ParsedPrompt): void {
  const values: Record<string, string> = {};
  for (const variable of parsed.variables) {
    const allowed = parsed.frontMatter.variables[variable]?.enum;
    values[variable] = allowed ? String(allowed[0]) : `${MARK}${variable}\u27E7`;
  }
  const enumPlaceholders = parsed.placeholders.filter((p) => parsed.frontMatter.variables[p.name]?.enum).length;
  const result = renderPrompt(parsed, values);
  const marks = (s: string) => s.split(MARK).length - 1;
  assert.equal(marks(result.text) - marks(parsed.body), parsed.placeholders.length - enumPlaceholders);
  assert.deepEqual(result.used, [...new Set(parsed.placeholders.map((p) => p.name))]);
  if (!parsed.body.includes('\\{{')) assert.doesNotMatch(result.text, PLACEHOLDER_IN_OUTPUT);
}

/** Placeholders must point at their own text, which is what an editor will highlight. */
function assertPositions(text: string, parsed: ParsedPrompt): void {
  const lines = (text.startsWith('\uFEFF') ? text.slice(1) : text).split('\n');
  for (const p of parsed.placeholders) {
    const at = lines[p.line - 1]?.slice(p.column - 1) ?? '';
    assert.match(at, new RegExp(`^\\{\\{[ \\t]*${p.name.replace(/[.]/g, '\\.')}[ \\t]*\\}\\}`));
  }
}

const OPENS_FRONT_MATTER = /^\uFEFF?---[ \t]*\r?(\n|$)/;

interface RealDocStats {
  total: number;
  withFrontMatter: number;
  rejected: number;
  placeholders: number;
}

function checkRealDocument(text: string, label: string, stats: RealDocStats): void {
  stats.total += 1;
  const hasFrontMatter = OPENS_FRONT_MATTER.test(text);
  if (hasFrontMatter) stats.withFrontMatter += 1;
  let parsed: ParsedPrompt;
  try {
    parsed = parsePrompt(text);
  } catch (error) {
    assert.ok(hasFrontMatter, `${label}: parse threw without front matter: ${String(error)}`);
    assert.ok(isTemplateError(error, 'invalid_front_matter'), `${label}: ${String(error)}`);
    // A front matter error must point inside the document.
    assert.ok(error.details.line >= 1 && error.details.line <= text.split('\n').length, label);
    stats.rejected += 1;
    return;
  }
  stats.placeholders += parsed.placeholders.length;
  assertPositions(text, parsed);
  assertRendersCompletely(parsed);
}

function skipWithoutData(ctx: Mocha.Context, path: string): void {
  if (existsSync(path)) return;
  console.warn(`      skipped: real data not found at ${path} (the shared data sets live in ../shared/data)`);
  ctx.skip();
}

describe('template: real prompts', function () {
  const csvPath = `${DATA_DIR}awesome-chatgpt-prompts.csv`;
  const jsonlPath = `${DATA_DIR}fabric-pattern-histories.jsonl`;

  it('parses and renders every prompt in awesome-chatgpt-prompts.csv', function () {
    skipWithoutData(this, csvPath);
    const records = parseCsvRecords(readFileSync(csvPath, 'utf8'));
    assert.equal(records.length, 1529);
    const stats: RealDocStats = { total: 0, withFrontMatter: 0, rejected: 0, placeholders: 0 };
    for (const record of records) checkRealDocument(record['prompt'] ?? '', `csv "${record['act']}"`, stats);
    // Sanity checks that the loop saw what the data holds, so a broken reader cannot pass vacuously.
    assert.ok(stats.withFrontMatter > 50, JSON.stringify(stats));
    assert.ok(stats.placeholders > 50, JSON.stringify(stats));
    assert.ok(stats.rejected < stats.withFrontMatter, JSON.stringify(stats));
  });

  it('parses and renders every version in fabric-pattern-histories.jsonl', function () {
    skipWithoutData(this, jsonlPath);
    const stats: RealDocStats = { total: 0, withFrontMatter: 0, rejected: 0, placeholders: 0 };
    for (const line of readFileSync(jsonlPath, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const history = JSON.parse(line) as { name: string; versions: Array<{ commit: string; content: string }> };
      for (const version of history.versions) {
        checkRealDocument(version.content, `fabric ${history.name}@${version.commit.slice(0, 8)}`, stats);
      }
    }
    assert.equal(stats.total, 871);
    assert.ok(stats.placeholders > 0, JSON.stringify(stats));
  });
});

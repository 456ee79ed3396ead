import { type Document, LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';
import { TemplateError } from './errors.js';
import { type FrontMatter, type TemplateWarning, VARIABLE_NAME, type VariableSpec } from './types.js';

type Path = Array<string | number>;

interface Locator {
  /** Position of the value at `path` (or of its nearest existing ancestor). */
  at(path: Path): { line: number; column: number };
  /** Position of the key that names `path`, so a bad variable name points at the name itself. */
  keyOf(path: Path): { line: number; column: number };
}

const KNOWN = new Set(['description', 'model', 'parameters', 'variables']);
const SPEC_KEYS = new Set(['description', 'required', 'default', 'enum']);

export interface ParsedFrontMatter {
  frontMatter: FrontMatter;
  warnings: TemplateWarning[];
}

export function emptyFrontMatter(): FrontMatter {
  return { variables: {}, extra: {} };
}

export function parseFrontMatter(source: string, startLine: number): ParsedFrontMatter {
  const lineCounter = new LineCounter();
  // logLevel 'error': yaml would otherwise print to the console, which an extension host or a server should not.
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, logLevel: 'error' });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line: Math.max(line, 1) + startLine - 1, column: col };
  };
  const first = doc.errors[0];
  if (first) {
    const pos = position(first.pos[0]);
    throw new TemplateError('invalid_front_matter', `Invalid YAML in front matter at line ${pos.line}, column ${pos.column}: ${first.message}`, pos);
  }
  const warnings = doc.warnings.map((w) => ({ message: w.message, ...position(w.pos[0]) }));
  const locator = makeLocator(doc, position);
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // toJS refuses alias bombs and the like; that is the document's fault, not the caller's.
    const pos = locator.at([]);
    throw new TemplateError('invalid_front_matter', `Front matter cannot be read: ${(err as Error).message}`, pos);
  }
  return { frontMatter: toFrontMatter(data, locator), warnings };
}

function makeLocator(doc: Document, position: (offset: number) => { line: number; column: number }): Locator {
  const at = (path: Path) => {
    for (let p = path; ; p = p.slice(0, -1)) {
      const node = p.length === 0 ? doc.contents : doc.getIn(p, true);
      if (isNode(node) && node.range) return position(node.range[0]);
      if (p.length === 0) return position(0);
    }
  };
  const keyOf = (path: Path) => {
    const parent = path.length <= 1 ? doc.contents : doc.getIn(path.slice(0, -1), true);
    const last = path[path.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
      if (pair && isNode(pair.key) && pair.key.range) return position(pair.key.range[0]);
    }
    return at(path);
  };
  return { at, keyOf };
}

function fail(message: string, pos: { line: number; column: number }): never {
  throw new TemplateError('invalid_front_matter', `${message} (line ${pos.line}, column ${pos.column})`, pos);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Defined rather than assigned so that a variable called `__proto__` stays an ordinary key. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function toFrontMatter(data: unknown, loc: Locator): FrontMatter {
  const fm = emptyFrontMatter();
  if (data === null || data === undefined) return fm;
  if (!isPlainObject(data)) fail('Front matter must be a mapping of keys to values', loc.at([]));

  for (const [key, value] of Object.entries(data)) {
    if (!KNOWN.has(key)) setOwn(fm.extra, key, value);
  }
  for (const key of ['description', 'model'] as const) {
    const value = data[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') fail(`"${key}" must be a string`, loc.at([key]));
    fm[key] = value;
  }
  const parameters = data['parameters'];
  if (parameters !== undefined && parameters !== null) {
    if (!isPlainObject(parameters)) fail('"parameters" must be a mapping', loc.at(['parameters']));
    fm.parameters = parameters as FrontMatter['parameters'];
  }
  const variables = data['variables'];
  if (variables !== undefined && variables !== null) fm.variables = toVariables(variables, loc);
  return fm;
}

function toVariables(value: unknown, loc: Locator): Record<string, VariableSpec> {
  const out: Record<string, VariableSpec> = {};
  if (Array.isArray(value)) {
    value.forEach((name, i) => {
      if (typeof name !== 'string' || !VARIABLE_NAME.test(name)) {
        fail(`"variables" entries must be names matching ${VARIABLE_NAME.source}`, loc.at(['variables', i]));
      }
      if (Object.hasOwn(out, name)) fail(`Variable "${name}" is listed twice`, loc.at(['variables', i]));
      setOwn(out, name, {});
    });
    return out;
  }
  if (!isPlainObject(value)) {
    fail('"variables" must be a mapping of names to specs, or a list of names', loc.at(['variables']));
  }
  for (const [name, spec] of Object.entries(value)) {
    if (!VARIABLE_NAME.test(name)) {
      fail(`Variable name "${name}" must match ${VARIABLE_NAME.source}`, loc.keyOf(['variables', name]));
    }
    setOwn(out, name, toSpec(name, spec, loc));
  }
  return out;
}

function toSpec(name: string, raw: unknown, loc: Locator): VariableSpec {
  // `name:` with nothing after it is the natural way to declare a plain required variable.
  if (raw === null || raw === undefined) return {};
  const path = ['variables', name];
  if (!isPlainObject(raw)) fail(`Variable "${name}" must be a mapping (description, required, default, enum)`, loc.at(path));
  for (const key of Object.keys(raw)) {
    // A misspelt key such as `requried` would otherwise silently change what the variable means.
    if (!SPEC_KEYS.has(key)) fail(`Variable "${name}" has unknown key "${key}"`, loc.keyOf([...path, key]));
  }
  const spec: VariableSpec = {};
  const { description, required, enum: allowed } = raw;
  const dflt = raw['default'];
  if (description !== undefined && description !== null) {
    if (typeof description !== 'string') fail(`"description" of variable "${name}" must be a string`, loc.at([...path, 'description']));
    spec.description = description;
  }
  if (required !== undefined) {
    if (typeof required !== 'boolean') fail(`"required" of variable "${name}" must be true or false`, loc.at([...path, 'required']));
    spec.required = required;
  }
  if (dflt !== undefined) {
    if (typeof dflt !== 'string' && typeof dflt !== 'number' && typeof dflt !== 'boolean') {
      fail(`"default" of variable "${name}" must be a string, number or boolean`, loc.at([...path, 'default']));
    }
    spec.default = dflt;
  }
  if (allowed !== undefined) {
    if (!Array.isArray(allowed)) fail(`"enum" of variable "${name}" must be a list`, loc.at([...path, 'enum']));
    if (allowed.length === 0) fail(`"enum" of variable "${name}" must not be empty`, loc.at([...path, 'enum']));
    allowed.forEach((item, i) => {
      if (typeof item !== 'string' && typeof item !== 'number') {
        fail(`"enum" of variable "${name}" may hold only strings and numbers`, loc.at([...path, 'enum', i]));
      }
    });
    spec.enum = allowed as Array<string | number>;
    if (spec.default !== undefined && !inEnum(spec.default, spec.enum)) {
      fail(`"default" of variable "${name}" is not one of its "enum" values`, loc.at([...path, 'default']));
    }
  }
  return spec;
}

/** Values arrive from forms and CLIs as text, so `3` and `"3"` count as the same choice. */
export function inEnum(value: string | number | boolean, allowed: ReadonlyArray<string | number>): boolean {
  const text = String(value);
  return allowed.some((item) => String(item) === text);
}

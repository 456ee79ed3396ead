import { TemplateError } from './errors.js';
import { inEnum } from './front-matter.js';
import { parsePrompt } from './parse.js';
import { scanBody } from './scan.js';
import { type ParsedPrompt, type RenderOptions, type RenderResult, type VariableValue, isRequired } from './types.js';

type Resolution = { kind: 'value'; text: string; defaulted: boolean } | { kind: 'keep' };

export function renderPrompt(
  prompt: string | ParsedPrompt,
  values: Record<string, VariableValue>,
  opts: RenderOptions = {},
): RenderResult {
  const parsed = typeof prompt === 'string' ? parsePrompt(prompt) : prompt;
  const strict = opts.strict ?? true;
  const specs = parsed.frontMatter.variables;
  const resolved = new Map<string, Resolution>();
  const missing: string[] = [];

  for (const name of parsed.variables) {
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    const given = values != null && Object.hasOwn(values, name) ? (values[name] as unknown) : undefined;
    if (given !== undefined) {
      if (typeof given !== 'string' && typeof given !== 'number' && typeof given !== 'boolean') {
        throw new TemplateError('invalid_variable_value', `Value of "${name}" must be a string, number or boolean`, {
          variable: name,
        });
      }
      if (spec?.enum && !inEnum(given, spec.enum)) {
        throw new TemplateError(
          'invalid_variable_value',
          `Value "${String(given)}" of "${name}" is not one of: ${spec.enum.map(String).join(', ')}`,
          { variable: name, allowed: [...spec.enum] },
        );
      }
      resolved.set(name, { kind: 'value', text: String(given), defaulted: false });
    } else if (spec?.default !== undefined) {
      resolved.set(name, { kind: 'value', text: String(spec.default), defaulted: true });
    } else if (spec ? isRequired(spec) : strict) {
      missing.push(name);
    } else {
      // An optional declared variable disappears; an undeclared one may be someone else's syntax, so it stays.
      resolved.set(name, spec ? { kind: 'value', text: '', defaulted: false } : { kind: 'keep' });
    }
  }
  if (missing.length > 0) {
    throw new TemplateError('missing_variables', `Missing values for: ${missing.join(', ')}`, { missing });
  }

  const used = new Set<string>();
  const defaulted = new Set<string>();
  let text = '';
  for (const token of scanBody(parsed.body, parsed.bodyStartLine).tokens) {
    if (token.kind === 'text') {
      text += token.text;
      continue;
    }
    const resolution = resolved.get(token.name);
    if (!resolution || resolution.kind === 'keep') {
      text += token.raw;
      continue;
    }
    text += resolution.text;
    used.add(token.name);
    if (resolution.defaulted) defaulted.add(token.name);
  }
  return { text, used: [...used], defaulted: [...defaulted] };
}

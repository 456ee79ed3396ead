import { TemplateError } from './errors.js';
import { emptyFrontMatter, parseFrontMatter } from './front-matter.js';
import { scanBody } from './scan.js';
import { splitDocument } from './split.js';
import type { ParsedPrompt, ValidationResult } from './types.js';

const BOM = '\uFEFF';

export function parsePrompt(text: string): ParsedPrompt {
  // Editors hide a byte order mark; honouring it here keeps "---" on line 1 recognisable and columns as shown.
  const source = text.startsWith(BOM) ? text.slice(1) : text;
  const split = splitDocument(source);
  const { frontMatter, warnings: yamlWarnings } =
    split.yaml === null
      ? { frontMatter: emptyFrontMatter(), warnings: [] }
      : parseFrontMatter(split.yaml, split.yamlStartLine);
  const scanned = scanBody(split.body, split.bodyStartLine);

  const declared = Object.keys(frontMatter.variables);
  const used = unique(scanned.placeholders.map((p) => p.name));
  const declaredSet = new Set(declared);
  const usedSet = new Set(used);
  return {
    frontMatter,
    body: split.body,
    bodyStartLine: split.bodyStartLine,
    placeholders: scanned.placeholders,
    variables: unique([...declared, ...used]),
    undeclared: used.filter((name) => !declaredSet.has(name)),
    unused: declared.filter((name) => !usedSet.has(name)),
    warnings: [...yamlWarnings, ...scanned.warnings],
  };
}

export function validatePrompt(text: string): ValidationResult {
  try {
    return { ok: true, parsed: parsePrompt(text) };
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, error };
    throw error;
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

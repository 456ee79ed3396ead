import type { TemplateError } from './errors.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type VariableValue = string | number | boolean;

/** As written in the front matter; `required` is left out when the author left it out (see `isRequired`). */
export interface VariableSpec {
  description?: string;
  required?: boolean;
  default?: VariableValue;
  enum?: Array<string | number>;
}

export interface FrontMatter {
  description?: string;
  model?: string;
  parameters?: Record<string, JsonValue>;
  variables: Record<string, VariableSpec>;
  /** Top-level keys this module does not know, kept so that tools can round-trip them. */
  extra: Record<string, unknown>;
}

export interface SourcePosition {
  line: number;
  column: number;
}

export interface Placeholder extends SourcePosition {
  name: string;
}

export interface TemplateWarning extends SourcePosition {
  message: string;
}

export interface ParsedPrompt {
  frontMatter: FrontMatter;
  body: string;
  bodyStartLine: number;
  placeholders: Placeholder[];
  variables: string[];
  undeclared: string[];
  unused: string[];
  warnings: TemplateWarning[];
}

export interface RenderOptions {
  /** When false, a missing undeclared placeholder stays in the output as written instead of failing. */
  strict?: boolean;
}

export interface RenderResult {
  text: string;
  used: string[];
  defaulted: string[];
}

export type ValidationResult =
  | { ok: true; parsed: ParsedPrompt }
  | { ok: false; error: TemplateError };

export const NAME_PATTERN = '[A-Za-z_][A-Za-z0-9_.-]*';
export const VARIABLE_NAME = new RegExp(`^${NAME_PATTERN}$`);

export function isRequired(spec: VariableSpec): boolean {
  return spec.required ?? spec.default === undefined;
}

export { TemplateError, isTemplateError } from './errors.js';
export type { TemplateErrorCode, TemplateErrorDetailsByCode } from './errors.js';
export { parsePrompt, validatePrompt } from './parse.js';
export { renderPrompt } from './render.js';
export { serializePrompt } from './serialize.js';
export type { FrontMatterInput } from './serialize.js';
export { VARIABLE_NAME, isRequired } from './types.js';
export type {
  FrontMatter,
  JsonValue,
  ParsedPrompt,
  Placeholder,
  RenderOptions,
  RenderResult,
  SourcePosition,
  TemplateWarning,
  ValidationResult,
  VariableSpec,
  VariableValue,
} from './types.js';

export interface TemplateErrorDetailsByCode {
  /** Position in the whole document (1-based; columns in UTF-16 code units, as editors count them). */
  invalid_front_matter: { line: number; column: number };
  missing_variables: { missing: string[] };
  invalid_variable_value: { variable: string; allowed?: Array<string | number> };
}

export type TemplateErrorCode = keyof TemplateErrorDetailsByCode;

export class TemplateError<C extends TemplateErrorCode = TemplateErrorCode> extends Error {
  override readonly name = 'TemplateError';
  readonly code: C;
  readonly details: TemplateErrorDetailsByCode[C];

  constructor(code: C, message: string, details: TemplateErrorDetailsByCode[C]) {
    super(message);
    this.code = code;
    this.details = details;
  }
}

/** Narrows both the code and the shape of `details`, which `instanceof` alone cannot. */
export function isTemplateError<C extends TemplateErrorCode>(
  value: unknown,
  code?: C,
): value is TemplateError<C> {
  return value instanceof TemplateError && (code === undefined || value.code === code);
}

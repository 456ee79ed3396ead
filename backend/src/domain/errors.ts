import type { ProblemCode } from '@rocqet/sdk';

/**
 * A refusal the caller can act on. Domain functions throw it; the HTTP layer answers it as problem+json with the
 * code's status, and every other transport (MCP, Slack) shows its message.
 */
export class DomainError extends Error {
  readonly code: ProblemCode;
  readonly extra: Record<string, unknown> | undefined;

  constructor(code: ProblemCode, detail: string, extra?: Record<string, unknown>) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.extra = extra;
  }
}

export function fail(code: ProblemCode, detail: string, extra?: Record<string, unknown>): never {
  throw new DomainError(code, detail, extra);
}

export function notFound(what: string): never {
  return fail('not_found', `${what} not found`);
}

/** A request part that breaks the contract: validation_failed, naming every field (`body.title`) and its rule. */
export function validationFailed(where: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): DomainError {
  const errors = issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = errors[0];
  return new DomainError(
    'validation_failed',
    first ? `${first.path}: ${first.message}` + (errors.length > 1 ? ` (and ${errors.length - 1} more)` : '') : 'invalid',
    { errors },
  );
}

import type { Problem } from './contract/common.js';
import type { ProblemCode } from './problems.js';

/** What every client method throws when the API answers a problem (or cannot be reached). */
export class RocqetError extends Error {
  readonly code: ProblemCode | 'network_error' | 'unexpected_response';
  readonly status: number;
  readonly problem: Problem | undefined;

  constructor(code: RocqetError['code'], status: number, message: string, problem?: Problem) {
    super(message);
    this.name = 'RocqetError';
    this.code = code;
    this.status = status;
    this.problem = problem;
  }
}

import { Problem } from './contract/common.js';
import { isProblemCode, type ProblemCode } from './problems.js';

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

/** The RocqetError an unsuccessful response stands for: its problem document, or the status when it has none. */
export async function problemError(res: Response): Promise<RocqetError> {
  const text = await res.text();
  try {
    const problem = Problem.parse(JSON.parse(text));
    if (isProblemCode(problem.code)) {
      return new RocqetError(problem.code, res.status, problem.detail ?? problem.title, problem);
    }
  } catch {
    // not a problem document: fall through
  }
  return new RocqetError('unexpected_response', res.status, `HTTP ${res.status}: ${text.slice(0, 200)}`);
}

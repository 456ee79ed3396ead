import { problemCodes, problemType, type ProblemCode } from '@rocqet/sdk';
import type { Response } from 'express';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  requestId?: string;
  errors?: { path: string; message: string }[];
  [extra: string]: unknown;
}

export function problemBody(code: ProblemCode, detail?: string, extra?: Record<string, unknown>): ProblemBody {
  const { status, title } = problemCodes[code];
  return { ...extra, type: problemType(code), title, status, code, ...(detail ? { detail } : {}) };
}

export function sendProblem(res: Response, body: ProblemBody): void {
  const requestId = res.locals.requestId as string | undefined;
  res
    .status(body.status)
    .type('application/problem+json')
    .send(JSON.stringify(requestId ? { ...body, requestId } : body));
}

import { RocqetError } from '@rocqet/sdk';
import * as vscode from 'vscode';

/** One line a person can act on, from whatever a call threw. */
export function describe(err: unknown): string {
  if (err instanceof RocqetError) {
    if (err.code === 'network_error') return `The Rocqet server cannot be reached (${err.message}).`;
    if (err.status === 401) return `The Rocqet server refused the token (${err.message}): sign in again with a valid one.`;
    if (err.code === 'forbidden') return `Not allowed: ${err.message}`;
    if (err.code === 'validation_failed' && err.problem?.errors?.length) {
      return err.problem.errors.map((e) => `${e.path.replace(/^(body|query|params)\./, '')}: ${e.message}`).join('; ');
    }
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function showError(prefix: string, err: unknown): void {
  console.error(`${prefix}: ${describe(err)}`); // the extension host log, for support
  void vscode.window.showErrorMessage(`${prefix}: ${describe(err)}`);
}

/** Runs a command body and reports its failure instead of throwing into VS Code's generic handler. */
export function guarded<A extends unknown[]>(what: string, fn: (...args: A) => Promise<unknown>): (...args: A) => Promise<unknown> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      showError(what, err);
      return undefined;
    }
  };
}

import { databaseFault } from '../db/errors.js';
import { problemBody, type ProblemBody } from './problem.js';

/**
 * Database refusals that mean a concurrent request changed what this one relied on, answered as the domain would
 * have answered had it run a moment later: the row went away (404), or something now exists or holds on to it (409).
 * The domain's locks make most races serialise into its own refusals; this is the backstop for the rest, in one
 * place, so no interleaving becomes a 500. Anything else is left to the caller (undefined).
 */
export function problemFromDatabaseError(err: unknown): ProblemBody | undefined {
  const fault = databaseFault(err);
  if (!fault) return undefined;
  switch (fault.sqlState ?? fault.prismaCode) {
    case '23505':
    case 'P2002':
      return problemBody('already_exists', 'it already exists (a concurrent request made it first)');
    case '23503':
    case 'P2003':
      // "insert or update on table … violates …": what this row points at went away meanwhile. "update or delete on
      // table … is still referenced": something came to point at the row this request removes.
      return /^insert or update on table/.test(fault.message)
        ? problemBody('not_found', 'something this request refers to was deleted meanwhile')
        : problemBody('conflict', 'something was added to it meanwhile; look again and retry');
    case 'P2025':
      return problemBody('not_found', 'not found (it was deleted meanwhile)');
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
    case 'P2034':
    case '23P01': // exclusion_violation
    case '55P03': // lock_not_available
      return problemBody('conflict', 'a concurrent change got in the way; retry');
  }
  return undefined;
}

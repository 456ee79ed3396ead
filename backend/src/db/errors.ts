/**
 * What PostgreSQL said, whichever way its error reached us: from `pg` directly (the pool's hot paths), or wrapped by
 * Prisma's driver adapter (ORM calls and raw queries alike).
 */
export interface DatabaseFault {
  /** The SQLSTATE, e.g. 23503. */
  sqlState: string | undefined;
  /** Prisma's own code (P2002, P2003, P2025, P2034), when Prisma raised it. */
  prismaCode: string | undefined;
  message: string;
}

interface Wrapped {
  code?: unknown;
  message?: unknown;
  severity?: unknown;
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; originalMessage?: unknown } } };
}

export function databaseFault(err: unknown): DatabaseFault | undefined {
  if (!err || typeof err !== 'object') return undefined;
  const e = err as Wrapped;
  const cause = e.meta?.driverAdapterError?.cause;
  const message = typeof cause?.originalMessage === 'string' ? cause.originalMessage : String(e.message ?? '');
  if (typeof e.code === 'string' && /^P\d{4}$/.test(e.code)) {
    const sqlState = typeof cause?.originalCode === 'string' ? cause.originalCode : undefined;
    return { sqlState, prismaCode: e.code, message };
  }
  // A pg DatabaseError: a five-character SQLSTATE and a severity.
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string') {
    return { sqlState: e.code, prismaCode: undefined, message };
  }
  return undefined;
}

/** SQLSTATEs (and Prisma's code for them) of a transaction that lost to a concurrent one and may simply run again. */
const TRANSIENT_STATES = new Set(['40001', '40P01']);

export function isTransientConflict(err: unknown): boolean {
  const f = databaseFault(err);
  return !!f && ((f.sqlState !== undefined && TRANSIENT_STATES.has(f.sqlState)) || f.prismaCode === 'P2034');
}

import type { z } from 'zod';
import type { ProblemCode } from '../problems.js';
import type { Scope } from './common.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * One endpoint of the API, described once. The backend binds a handler to it and validates with its schemas, the
 * client derives a typed method from it, and the OpenAPI document is generated from it.
 */
export interface RouteDef<
  P extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: Method;
  /** OpenAPI-style path: `/v1/folders/{id}`. */
  path: string;
  summary: string;
  /** Longer documentation for the OpenAPI operation. */
  description?: string;
  tag: string;
  /**
   * The token scope the call needs; `'any'` for calls any valid token may make (they only ever concern the caller
   * or take authority away, e.g. revoking your own token); `null` for public endpoints.
   */
  scope: Scope | 'any' | null;
  params?: P;
  query?: Q;
  body?: B;
  /** Undefined for 204 answers. */
  response?: R;
  status: 200 | 201 | 204;
  /** Request headers the endpoint honours (documented, passed through by the client). */
  headers?: readonly ('If-Match' | 'If-None-Match' | 'Last-Event-ID')[];
  /** The problem codes this endpoint may answer besides the ones every authenticated endpoint can. */
  problems?: readonly ProblemCode[];
  /** The body is not JSON (for example a `.prompt.md` export). */
  produces?: string;
  /** A second media type the route answers in when asked (`Accept`), e.g. runs as `text/event-stream`. */
  streams?: string;
  /** The largest JSON body the server takes, when more than the default (imports carry whole libraries). */
  maxBodyBytes?: number;
  /** How long a client should wait by default; long-running calls (imports) say so here. */
  timeoutMs?: number;
}

export function route<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(def: RouteDef<P, Q, B, R>): RouteDef<P, Q, B, R> {
  return def;
}

type Field<K extends string, S> = S extends z.ZodType ? { [key in K]: z.input<S> } : { [key in K]?: never };

/** What a client passes to call a route. */
export type RouteInput<D> =
  D extends RouteDef<infer P, infer Q, infer B, infer _R>
    ? Field<'params', P> & Partial<Field<'query', Q>> & Field<'body', B> & { headers?: Record<string, string> }
    : never;

/** What a client gets back. */
export type RouteOutput<D> = D extends RouteDef<infer _P, infer _Q, infer _B, infer R> ? (R extends z.ZodType ? z.output<R> : void) : never;

/** What the handler receives after validation. */
export type RouteParsed<D> =
  D extends RouteDef<infer P, infer Q, infer B, infer _R>
    ? {
        params: P extends z.ZodType ? z.output<P> : Record<string, never>;
        query: Q extends z.ZodType ? z.output<Q> : Record<string, never>;
        body: B extends z.ZodType ? z.output<B> : undefined;
      }
    : never;

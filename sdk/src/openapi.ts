import { z } from 'zod';
import { Problem } from './contract/common.js';
import type { RouteDef } from './contract/route.js';
import { problemCodes, type ProblemCode } from './problems.js';

/** Problems any authenticated endpoint may answer. */
const COMMON_PROBLEMS: ProblemCode[] = [
  'validation_failed',
  'unauthenticated',
  'invalid_token',
  'token_expired',
  'token_revoked',
  'insufficient_scope',
  'forbidden',
  'rate_limited',
];
const BODY_PROBLEMS: ProblemCode[] = ['invalid_json', 'payload_too_large', 'unsupported_media_type'];
/** A write can lose a race the database settles (backend/src/http/dbErrors.ts). */
const WRITE_PROBLEMS: ProblemCode[] = ['conflict'];

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    description: typeof s.description === 'string' ? s.description : undefined,
    schema: s,
  }));
}

export function buildOpenApi(routes: Record<string, RouteDef>, info: { version: string; serverUrl?: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [operationId, def] of Object.entries(routes)) {
    const codes = new Set<ProblemCode>([...(def.scope ? COMMON_PROBLEMS : []), ...(def.problems ?? [])]);
    if (def.body) BODY_PROBLEMS.forEach((c) => codes.add(c));
    if (def.scope && def.method !== 'GET') WRITE_PROBLEMS.forEach((c) => codes.add(c));
    const responses: Record<string, unknown> = {};
    const okContent = def.produces
      ? { [def.produces]: { schema: { type: 'string' } } }
      : def.response
        ? {
            'application/json': { schema: schemaOf(def.response, 'output') },
            ...(def.streams ? { [def.streams]: { schema: { type: 'string' } } } : {}),
          }
        : undefined;
    responses[String(def.status)] = { description: 'Success', ...(okContent ? { content: okContent } : {}) };
    const byStatus = new Map<number, ProblemCode[]>();
    for (const code of codes) {
      const status = problemCodes[code].status;
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
    }
    for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
      responses[String(status)] = {
        description: list.map((c) => `\`${c}\`: ${problemCodes[c].title}`).join('; '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      };
    }
    const parameters = [
      ...parametersOf(def.params, 'path'),
      ...parametersOf(def.query, 'query'),
      ...(def.headers ?? []).map((h) => ({ name: h, in: 'header', required: false, schema: { type: 'string' } })),
    ];
    const path = (paths[def.path] ??= {});
    path[def.method.toLowerCase()] = {
      operationId,
      summary: def.summary,
      ...(def.description ? { description: def.description } : {}),
      tags: [def.tag],
      ...(def.scope ? { security: [{ bearer: [] }], 'x-scope': def.scope } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(def.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(def.body, 'input') } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rocqet API',
      version: info.version,
      description:
        'The shared, versioned prompt library. Authenticate with `Authorization: Bearer rq_…`. Errors are RFC 9457 ' +
        'problem documents with a stable `code`.',
    },
    // Relative unless the deployment says where it lives: a document must not name a host it was not told about.
    servers: [{ url: info.serverUrl ?? '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token: rq_live_…' } },
      schemas: { Problem: schemaOf(Problem, 'output') },
    },
  };
}

import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError, type CallToolResult } from '@modelcontextprotocol/server';
import { RocqetError } from '@rocqet/sdk';

/** What the model should do next after each problem: said once, used by every tool. */
const nextSteps: Partial<Record<RocqetError['code'], (e: RocqetError) => string>> = {
  network_error: () => 'the Rocqet backend is unreachable or too slow; retry in a moment, or tell the user it is down',
  unavailable: () => 'the backend is temporarily unavailable; retry in a moment',
  unauthenticated: () => 'the MCP server needs a valid ROCQET_TOKEN; ask the user to configure one',
  invalid_token: () => 'the token is not valid; ask the user for a new Rocqet API token',
  token_expired: () => 'the token expired; ask the user for a new Rocqet API token',
  token_revoked: () => 'the token was revoked; ask the user for a new Rocqet API token',
  insufficient_scope: () => 'this token may only read; ask the user for a token with the write scope',
  forbidden: () => 'your role does not allow this; ask a workspace admin',
  not_found: () => 'check the path with search_prompts',
  ref_not_found: () => 'list the versions with list_versions, or omit ref for the default branch',
  head_moved: (e) => {
    const head = typeof e.problem?.head === 'string' ? e.problem.head : undefined;
    return head
      ? `the branch is now at ${head}: read it with get_prompt (ref ${head}), reapply your change, and commit again with parent ${head}`
      : 'read the branch again with get_prompt, reapply your change, and commit again with its new head as parent';
  },
  merge_conflict: () => 'read both branches with get_prompt, resolve the text, and commit it on the target with parent and mergeParent',
  already_exists: () => 'pick another name, or use the existing one',
  tag_immutable: () => 'tags never move; create a new tag name',
  no_changes: () => 'the text is unchanged; nothing to commit',
  missing_variables: (e) => `give values for: ${missingOf(e).join(', ')}`,
  invalid_variable_value: (e) =>
    Array.isArray(e.problem?.allowed) ? `use one of: ${(e.problem.allowed as unknown[]).join(', ')}` : 'check the variable values',
  invalid_front_matter: () => 'fix the YAML front matter between the --- lines',
  rate_limited: () => 'too many requests; wait a little and retry',
  validation_failed: () => 'fix the arguments named in the detail and retry',
  limit_exceeded: () => 'the workspace plan limit is reached; ask an admin',
};

export function missingOf(e: RocqetError): string[] {
  const missing = e.problem?.missing;
  return Array.isArray(missing) ? missing.map(String) : [];
}

export interface ToolFailure {
  code: string;
  detail: string;
  next: string;
  [key: string]: unknown;
}

export function describeFailure(err: unknown): ToolFailure {
  if (err instanceof RocqetError) {
    const failure: ToolFailure = {
      code: err.code,
      detail: err.message,
      next: nextSteps[err.code]?.(err) ?? 'check the arguments and retry',
    };
    if (typeof err.problem?.head === 'string') failure.head = err.problem.head;
    const missing = missingOf(err);
    if (missing.length) failure.missing = missing;
    return failure;
  }
  // Anything else is our bug, not the model's: say so plainly, keep the server running.
  return { code: 'internal', detail: (err as Error)?.message ?? String(err), next: 'retry; if it persists, report it' };
}

/** Every tool failure is a result the model can read and act on, never a protocol error. */
export function toolError(err: unknown): CallToolResult {
  const f = describeFailure(err);
  return {
    isError: true,
    content: [{ type: 'text', text: `${f.code}: ${f.detail}\nNext: ${f.next}` }],
    _meta: { 'rocqet/problem': f },
  };
}

/** Prompts and resources answer failures as JSON-RPC errors: what is the caller's fault is -32602 or not found. */
export function protocolError(err: unknown, what: { prompt?: string; uri?: string }): ProtocolError {
  if (err instanceof ProtocolError) return err;
  if (err instanceof RocqetError) {
    if (err.code === 'not_found' || err.code === 'ref_not_found') {
      if (what.uri) return new ResourceNotFoundError(what.uri, `${what.uri}: ${err.message}`);
      return new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown prompt ${what.prompt}: ${err.message}`);
    }
    if (err.code === 'invalid_cursor' || err.code === 'validation_failed') {
      return new ProtocolError(ProtocolErrorCode.InvalidParams, err.message);
    }
    const f = describeFailure(err);
    return new ProtocolError(ProtocolErrorCode.InternalError, `${f.code}: ${f.detail} (${f.next})`, f);
  }
  return new ProtocolError(ProtocolErrorCode.InternalError, (err as Error)?.message ?? String(err));
}

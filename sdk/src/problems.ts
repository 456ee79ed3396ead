/**
 * Every error the API answers is an RFC 9457 problem with one of these stable codes. Clients branch on `code`,
 * never on `title` or `detail`, so a code is never renamed or reused for something else.
 */
export const problemCodes = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  invalid_cursor: { status: 400, title: 'The pagination cursor is not valid' },
  unauthenticated: { status: 401, title: 'Authentication is required' },
  invalid_token: { status: 401, title: 'The API token is not valid' },
  token_expired: { status: 401, title: 'The API token has expired' },
  token_revoked: { status: 401, title: 'The API token has been revoked' },
  forbidden: { status: 403, title: 'Your role does not allow this' },
  insufficient_scope: { status: 403, title: 'The API token lacks the scope this needs' },
  limit_exceeded: { status: 403, title: 'The workspace plan limit is reached' },
  not_found: { status: 404, title: 'Not found' },
  ref_not_found: { status: 404, title: 'The ref does not exist' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  already_exists: { status: 409, title: 'It already exists' },
  conflict: { status: 409, title: 'A concurrent change got in the way' },
  last_owner: { status: 409, title: 'A workspace needs at least one owner' },
  folder_not_empty: { status: 409, title: 'The folder is not empty' },
  folder_cycle: { status: 409, title: 'A folder cannot move into its own subtree' },
  head_moved: { status: 409, title: 'The branch head moved' },
  merge_conflict: { status: 409, title: 'The merge has conflicts' },
  tag_immutable: { status: 409, title: 'Tags cannot be moved' },
  default_branch: { status: 409, title: 'The default branch cannot be deleted' },
  precondition_failed: { status: 412, title: 'The resource changed since you read it' },
  feed_cursor_expired: { status: 410, title: 'The feed no longer holds events after that id' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'The request body must be JSON' },
  no_changes: { status: 422, title: 'The commit changes nothing' },
  invalid_front_matter: { status: 422, title: 'The front matter is not valid' },
  missing_variables: { status: 422, title: 'Required variables are missing' },
  invalid_variable_value: { status: 422, title: 'A variable value is not allowed' },
  import_invalid: { status: 422, title: 'The import file is not valid' },
  no_model: { status: 422, title: 'No model to run on' },
  provider_not_configured: { status: 422, title: 'No key is configured for that provider' },
  unknown_model: { status: 422, title: 'The provider does not know that model' },
  context_length_exceeded: { status: 422, title: 'The prompt is too long for the model' },
  provider_rejected: { status: 422, title: 'The provider refused the request' },
  budget_exceeded: { status: 402, title: 'The workspace’s monthly run budget is spent' },
  rate_limited: { status: 429, title: 'Too many requests' },
  headers_too_large: { status: 431, title: 'The request line or headers are too large' },
  internal: { status: 500, title: 'Internal error' },
  unavailable: { status: 503, title: 'Service unavailable' },
  providers_unavailable: { status: 503, title: 'No provider could run the prompt' },
  provider_key_unreadable: { status: 503, title: 'The stored provider key cannot be opened' },
  secret_key_missing: { status: 503, title: 'The server has no key to encrypt secrets with' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCodes;

export const PROBLEM_TYPE_BASE = 'https://rocqet.dev/problems/';

export function problemType(code: ProblemCode): string {
  return PROBLEM_TYPE_BASE + code.replaceAll('_', '-');
}

export function isProblemCode(code: unknown): code is ProblemCode {
  return typeof code === 'string' && Object.hasOwn(problemCodes, code);
}

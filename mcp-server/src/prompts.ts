import { ProtocolError, ProtocolErrorCode, type GetPromptResult, type ListPromptsResult, type Prompt as McpPrompt } from '@modelcontextprotocol/server';
import { RocqetError } from '@rocqet/sdk';
import { missingOf, protocolError } from './errors.js';
import { ICONS } from './icons.js';
import { Library, type PromptAtRef, type Variable } from './library.js';
import { parsePromptName, promptName } from './names.js';
import type { RecentValues } from './recent.js';

export const META = {
  commit: 'rocqet/commit',
  seq: 'rocqet/seq',
  ref: 'rocqet/ref',
  path: 'rocqet/path',
} as const;

export function argumentDescription(v: Variable): string | undefined {
  const parts = [v.description?.trim()].filter(Boolean) as string[];
  if (v.enum) parts.push(`one of: ${v.enum.join(', ')}`);
  if (v.default !== undefined) parts.push(`default: ${String(v.default)}`);
  return parts.length ? parts.join(' — ') : undefined;
}

export function describePrompt(p: PromptAtRef, pinned?: string): McpPrompt {
  return {
    name: promptName(p.prompt.path, pinned),
    title: p.prompt.title,
    description: p.prompt.description || undefined,
    arguments: p.variables.map((v) => ({
      name: v.name,
      ...(argumentDescription(v) ? { description: argumentDescription(v) } : {}),
      required: v.required,
    })),
    icons: ICONS,
    _meta: { [META.ref]: p.ref, [META.commit]: p.commit.id, [META.seq]: p.commit.seq },
  };
}

/** One page of the library in the backend's order (newest first, keyset cursor: stable while paging). */
export async function listPrompts(library: Library, cursor: string | undefined, pageSize: number): Promise<ListPromptsResult> {
  try {
    const page = await library.client.listPrompts({ query: { limit: pageSize, ...(cursor ? { cursor } : {}) } });
    const prompts = await Library.mapLimited(page.items, 8, async (item) => {
      try {
        return describePrompt(await library.read(item.path));
      } catch (err) {
        // Deleted or moved between the list and the read: it is simply not on this page.
        if (err instanceof RocqetError && err.code === 'not_found') return undefined;
        throw err;
      }
    });
    return {
      prompts: prompts.filter((p): p is McpPrompt => p !== undefined),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  } catch (err) {
    throw protocolError(err, {});
  }
}

function invalidArgument(message: string, data: Record<string, unknown>): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message, data);
}

/**
 * Renders on the backend. The caller's mistakes (an unknown prompt, a missing or extra argument, a value outside
 * the enum) are -32602 naming the argument; the result's _meta names the commit and ref used.
 */
export async function getPrompt(
  library: Library,
  recent: RecentValues,
  name: string,
  args: Record<string, string>,
): Promise<GetPromptResult> {
  const { path, ref } = parsePromptName(name);
  try {
    const rendered = await library.render(path, ref, args);
    const known = new Set([...rendered.used, ...rendered.defaulted]);
    const unexplained = Object.keys(args).filter((a) => !known.has(a));
    if (unexplained.length) {
      // Declared but not in the body is fine; anything else is an argument this prompt does not take.
      const variables = rendered.variables ?? (await library.read(path, rendered.commit.id)).variables;
      const declared = new Set(variables.map((v) => v.name));
      const extra = unexplained.filter((a) => !declared.has(a));
      if (extra.length) {
        throw invalidArgument(`Unknown argument${extra.length > 1 ? 's' : ''} for prompt ${name}: ${extra.join(', ')}`, { unknown: extra });
      }
    }
    recent.remember(library.me.workspaceId, path, args);
    return {
      description: `${path} at ${rendered.ref} (#${rendered.commit.seq})`,
      messages: [{ role: 'user', content: { type: 'text', text: rendered.text } }],
      _meta: { [META.path]: path, [META.ref]: rendered.ref, [META.commit]: rendered.commit.id, [META.seq]: rendered.commit.seq },
    };
  } catch (err) {
    if (err instanceof RocqetError && err.code === 'missing_variables') {
      const missing = missingOf(err);
      throw invalidArgument(`Missing required argument${missing.length > 1 ? 's' : ''} for prompt ${name}: ${missing.join(', ')}`, { missing });
    }
    if (err instanceof RocqetError && err.code === 'invalid_variable_value') {
      const variable = String(err.problem?.variable ?? '');
      throw invalidArgument(`Invalid value for argument ${variable} of prompt ${name}: ${err.message}`, {
        argument: variable,
        allowed: err.problem?.allowed,
      });
    }
    throw protocolError(err, { prompt: name });
  }
}

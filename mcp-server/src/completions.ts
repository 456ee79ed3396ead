import type { CompleteRequest, CompleteResult } from '@modelcontextprotocol/server';
import type { Library } from './library.js';
import { parsePromptName, templates } from './names.js';
import type { RecentValues } from './recent.js';

const MAX = 100;

function complete(candidates: Iterable<string>, typed: string): CompleteResult {
  const lower = typed.toLowerCase();
  const all = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(lower));
  return { completion: { values: all.slice(0, MAX), total: all.length, hasMore: all.length > MAX } };
}

const none: CompleteResult = { completion: { values: [], total: 0, hasMore: false } };

/**
 * Prompt arguments complete from the enum, then the default, then values recently given; template variables from
 * the library: paths (and folders, as prefixes), and a prompt's branches and tags once its path is known.
 * A failure to ask the backend completes nothing rather than failing the client's form.
 */
export async function completeRequest(library: Library, recent: RecentValues, params: CompleteRequest['params']): Promise<CompleteResult> {
  const { ref, argument } = params;
  const context = params.context?.arguments ?? {};
  try {
    if (ref.type === 'ref/prompt') {
      const { path, ref: pinned } = parsePromptName(ref.name);
      const prompt = await library.read(path, pinned);
      const variable = prompt.variables.find((v) => v.name === argument.name);
      if (!variable) return none;
      const values = [
        ...(variable.enum ?? []).map(String),
        ...(variable.default !== undefined ? [String(variable.default)] : []),
        ...recent.of(library.me.workspaceId, path, argument.name),
      ];
      return complete(values, argument.value);
    }
    const known = (Object.values(templates) as string[]).includes(ref.uri);
    if (!known) return none;
    if (argument.name === 'path') {
      const [paths, folders] = await Promise.all([library.paths(), library.folders()]);
      return complete([...folders.map((f) => f + '/'), ...paths], argument.value);
    }
    if (argument.name === 'ref' || argument.name === 'from' || argument.name === 'to') {
      const path = context.path;
      if (!path) return none;
      return complete(await library.refs(path), argument.value);
    }
    return none;
  } catch {
    return none;
  }
}

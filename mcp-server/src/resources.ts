import {
  ResourceNotFoundError,
  type ListResourcesResult,
  type ListResourceTemplatesResult,
  type ReadResourceResult,
} from '@modelcontextprotocol/server';
import { protocolError } from './errors.js';
import { ICONS } from './icons.js';
import type { Library } from './library.js';
import { diffUri, parseResourceUri, promptUri, templates } from './names.js';
import { META } from './prompts.js';

export const resourceTemplates: ListResourceTemplatesResult['resourceTemplates'] = [
  {
    uriTemplate: templates.prompt,
    name: 'prompt',
    title: 'Prompt at the default ref',
    description: 'A prompt’s text (Markdown with YAML front matter) at the server’s default ref',
    mimeType: 'text/markdown',
    icons: ICONS,
  },
  {
    uriTemplate: templates.promptAt,
    name: 'prompt-at-ref',
    title: 'Prompt at a ref',
    description: 'A prompt’s text at a branch, tag, commit id or #seq',
    mimeType: 'text/markdown',
    icons: ICONS,
  },
  {
    uriTemplate: templates.history,
    name: 'history',
    title: 'Prompt history',
    description: 'The commits of a ref (default: the default branch), newest first, as JSON',
    mimeType: 'application/json',
    icons: ICONS,
  },
  {
    uriTemplate: templates.diff,
    name: 'diff',
    title: 'Diff between two refs',
    description: 'Unified diff of a prompt between two refs (to defaults to the default branch)',
    mimeType: 'text/x-diff',
    icons: ICONS,
  },
];

/** Every prompt, as a resource at the default ref (the backend's stable page order). */
export async function listResources(library: Library, cursor: string | undefined, pageSize: number): Promise<ListResourcesResult> {
  try {
    const page = await library.client.listPrompts({ query: { limit: pageSize, ...(cursor ? { cursor } : {}) } });
    return {
      resources: page.items.map((p) => ({
        uri: promptUri(p.path),
        name: p.path,
        title: p.title,
        ...(p.description ? { description: p.description } : {}),
        mimeType: 'text/markdown',
        icons: ICONS,
        annotations: { lastModified: p.updatedAt },
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  } catch (err) {
    throw protocolError(err, {});
  }
}

export async function readResource(library: Library, uri: string): Promise<ReadResourceResult> {
  const address = parseResourceUri(uri);
  if (!address) throw new ResourceNotFoundError(uri, `${uri} is not a Rocqet resource (see resources/templates/list)`);
  try {
    switch (address.kind) {
      case 'prompt': {
        const p = await library.read(address.path, address.ref);
        return {
          contents: [
            {
              uri,
              mimeType: 'text/markdown',
              text: p.content,
              _meta: { [META.ref]: p.ref, [META.commit]: p.commit.id, [META.seq]: p.commit.seq, lastModified: p.commit.createdAt },
            },
          ],
        };
      }
      case 'history': {
        const page = await library.client.listCommits({
          params: { prompt: address.path },
          query: { limit: 100, ...(address.ref ? { ref: address.ref } : {}) },
        });
        const commits = page.items.map((c) => ({
          ...c,
          uri: promptUri(address.path, c.id),
          diffUri: c.parentId ? diffUri(address.path, c.parentId, c.id) : undefined,
        }));
        return {
          contents: [
            {
              uri,
              mimeType: 'application/json',
              text: JSON.stringify({ path: address.path, commits, nextCursor: page.nextCursor }, null, 2),
              _meta: { lastModified: page.items[0]?.createdAt },
            },
          ],
        };
      }
      case 'diff': {
        const d = await library.client.diff({
          params: { prompt: address.path },
          query: { from: address.from, ...(address.to ? { to: address.to } : {}) },
        });
        return {
          contents: [
            {
              uri,
              mimeType: 'text/x-diff',
              text: d.unified,
              _meta: { from: d.from.id, to: d.to.id, ...d.stats, lastModified: d.to.createdAt },
            },
          ],
        };
      }
    }
  } catch (err) {
    throw protocolError(err, { uri });
  }
}


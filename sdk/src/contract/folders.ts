import { z } from 'zod';
import { BooleanQuery, Id, Text, Timestamp } from './common.js';
import { route } from './route.js';

/** A folder name is one segment of a prompt's path, so it cannot hold a slash. */
export const FolderName = Text.trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .refine((s) => !s.includes('/'), 'must not contain "/"')
  .refine((s) => s !== '.' && s !== '..', 'must not be "." or ".."')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

export const Folder = z.object({
  id: Id,
  name: z.string(),
  parentId: Id.nullable(),
  path: z.string().describe('names from the root, joined by "/"'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Folder = z.infer<typeof Folder>;

const FolderParams = z.strictObject({ id: Id });

export const folderRoutes = {
  listFolders: route({
    method: 'GET',
    path: '/v1/folders',
    summary: 'The whole folder tree, parents before children',
    tag: 'Folders',
    scope: 'read',
    response: z.object({ items: z.array(Folder) }),
    status: 200,
  }),
  createFolder: route({
    method: 'POST',
    path: '/v1/folders',
    summary: 'Create a folder under a parent (or at the root)',
    tag: 'Folders',
    scope: 'write',
    body: z.strictObject({ name: FolderName, parentId: Id.nullable().optional() }),
    response: Folder,
    status: 201,
    problems: ['already_exists', 'not_found'],
  }),
  getFolder: route({
    method: 'GET',
    path: '/v1/folders/{id}',
    summary: 'Get a folder',
    tag: 'Folders',
    scope: 'read',
    params: FolderParams,
    response: Folder,
    status: 200,
    problems: ['not_found'],
  }),
  updateFolder: route({
    method: 'PATCH',
    path: '/v1/folders/{id}',
    summary: 'Rename a folder or move it (never into its own subtree)',
    tag: 'Folders',
    scope: 'write',
    params: FolderParams,
    body: z
      .strictObject({ name: FolderName.optional(), parentId: Id.nullable().optional() })
      .refine((b) => b.name !== undefined || b.parentId !== undefined, { message: 'give name or parentId' }),
    response: Folder,
    status: 200,
    problems: ['not_found', 'already_exists', 'folder_cycle'],
  }),
  deleteFolder: route({
    method: 'DELETE',
    path: '/v1/folders/{id}',
    summary: 'Delete a folder; a non-empty one only with recursive=true (its prompts are moved to the trash)',
    tag: 'Folders',
    scope: 'write',
    params: FolderParams,
    query: z.strictObject({ recursive: BooleanQuery.optional() }),
    status: 204,
    problems: ['not_found', 'folder_not_empty'],
  }),
};

import { auditRoutes } from './audit.js';
import { eventRoutes } from './events.js';
import { collabRoutes } from './collab.js';
import { folderRoutes } from './folders.js';
import { memberRoutes } from './members.js';
import { promptRoutes } from './prompts.js';
import { runRoutes } from './runs.js';
import { searchRoutes } from './search.js';
import { tokenRoutes } from './tokens.js';
import { workspaceRoutes } from './workspaces.js';

/** Every endpoint of the API, by operation id. */
export const routes = {
  ...workspaceRoutes,
  ...memberRoutes,
  ...tokenRoutes,
  ...folderRoutes,
  ...auditRoutes,
  ...promptRoutes,
  ...searchRoutes,
  ...eventRoutes,
  ...collabRoutes,
  ...runRoutes,
};
export type Routes = typeof routes;
export type RouteId = keyof Routes;

export * from './common.js';
export * from './route.js';
export * from './workspaces.js';
export * from './members.js';
export * from './tokens.js';
export * from './folders.js';
export * from './audit.js';
export * from './events.js';
export * from './prompts.js';
export * from './search.js';
export * from './collab.js';
export * from './runs.js';

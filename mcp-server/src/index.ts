export { buildServer, SERVER_INFO, type ServerOptions, type Session } from './server.js';
export { createMcpHttpEndpoint, type McpHttpEndpoint, type McpHttpOptions } from './http.js';
export { serveRocqetStdio, type StdioOptions } from './stdio.js';
export { LibraryChanges, type LibraryChange, type LibraryListener } from './changes.js';
export { parsePromptName, promptName, parseResourceUri, promptUri, templates } from './names.js';

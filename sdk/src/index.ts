export * from './contract/index.js';
export * from './problems.js';
export * from './errors.js';
export * from './client.js';
export * from './openapi.js';
export * from './template/index.js';

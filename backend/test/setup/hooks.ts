import { dropTemplate } from '../support/db.js';

// Test backends run without the local embedding model unless a test asks for it: loading it in every test app would
// cost seconds and hundreds of MB each. The search tests create their embedders explicitly.
process.env.ROCQET_EMBEDDER ??= 'off';

export const mochaHooks = {
  async afterAll() {
    await dropTemplate();
  },
};

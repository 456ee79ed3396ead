import { dropTemplate } from '../support/db.js';

export const mochaHooks = {
  async afterAll() {
    await dropTemplate();
  },
};

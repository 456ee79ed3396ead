import { dropTemplate } from '../support/db.js';

// Test backends run without the local embedding model unless a test asks for it: loading it in every test app would
// cost seconds and hundreds of MB each. The search tests create their embedders explicitly.
process.env.ROCQET_EMBEDDER ??= 'off';

/** How long the process may linger after the last test before a leaked handle counts as a failure. */
const EXIT_GRACE_MS = 15_000;

export const mochaHooks = {
  async afterAll() {
    await dropTemplate();
    // Something a test left running (an interval, a socket, a pool) keeps mocha's process alive forever, which in CI
    // is a hang until the job's timeout with every test passed. Name what is left and fail instead. The timer is
    // unref'd: a clean run exits before it fires.
    setTimeout(() => {
      console.error(`the test run left handles open ${EXIT_GRACE_MS / 1000} s after its last test: ${process.getActiveResourcesInfo().join(', ')}`);
      process.exit(1);
    }, EXIT_GRACE_MS).unref();
  },
};

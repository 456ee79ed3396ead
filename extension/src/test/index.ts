// The extension host requires this bundle (out/test/index.cjs) and awaits run(): mocha inside the real host, its
// failures the run's exit code. The suites are bundled in, so they define themselves once mocha's globals exist.
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const grep = process.env.ROCQET_HOST_GREP;
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 30_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  mocha.suite.emit('pre-require', globalThis, 'rocqet-in-host', mocha);
  const { defineSuites } = await import('./suites.js');
  const { defineRunSuites } = await import('./runSuites.js');
  defineSuites();
  defineRunSuites();
  await new Promise<void>((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} in-host test(s) failed`)) : resolve()));
  });
}

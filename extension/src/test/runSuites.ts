// In-host tests of Run Prompt and Compare Versions: the real extension against the real backend, which runs on the
// OpenAI and Anthropic stand-ins of backend/test/runs (real HTTP servers speaking their wire formats), started here
// in the extension host so the test can read what they were sent.
import assert from 'node:assert/strict';
import { createClient, type Client, type Run } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { anthropicError, anthropicStandIn, anthropicText, openaiStandIn, type StandIn } from '../../../backend/test/runs/standins.js';
import type { RocqetApi } from '../extension.js';
import type { RunPanel } from '../vscode/runPanel.js';
import { until } from './until.js';

const config = JSON.parse(process.env.ROCQET_HOST_TEST ?? '{}') as { baseUrl: string; ownerToken: string; viewerToken: string };

const PROMPT = [
  '---',
  'model: anthropic:claude-sonnet-4-5',
  'variables:',
  '  topic: { required: true }',
  '---',
  'Explain {{topic}} in one sentence.',
].join('\n');

/** What the webview shows once it has the outputs (and, unless still streaming, the run's end). */
function shownOutputs(panel: RunPanel, outputs: string[], done = true) {
  return until(
    () => JSON.stringify(panel.shown?.outputs) === JSON.stringify(outputs) && panel.shown!.done === done && panel.shown!,
    `the panel to show ${JSON.stringify(outputs)} (it shows ${JSON.stringify(panel.shown)})`,
  );
}

export function defineRunSuites(): void {
  describe('runs: Run Prompt and Compare Versions', () => {
    let api: RocqetApi;
    let owner: Client;
    let anthropic: StandIn;
    let openai: StandIn;
    let promptPath: string;
    let promptId: string;

    before(async function () {
      this.timeout(60_000);
      api = await vscode.extensions.getExtension<RocqetApi>('rocqet.rocqet-vscode')!.activate();
      if (api.connection.current?.token !== config.ownerToken) await api.connection.signIn(config.ownerToken);
      owner = createClient({ baseUrl: config.baseUrl, token: config.ownerToken });
      [anthropic, openai] = await Promise.all([anthropicStandIn(), openaiStandIn()]);
      await owner.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-host-0123456789wxyz', baseUrl: anthropic.origin } });
      await owner.setProviderKey({ body: { name: 'openai', apiKey: 'sk-host-openai-0123456789abcd', baseUrl: `${openai.origin}/v1` } });
      await owner.updateRunSettings({ body: { chain: ['anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini'], monthlyBudgetUsd: null } });
      const p = await owner.createPrompt({ body: { title: `Explainer ${Date.now()}`, content: PROMPT } });
      promptPath = p.path;
      promptId = p.id;
    });
    after(async () => {
      await Promise.all([anthropic?.close(), openai?.close()]);
    });
    beforeEach(() => {
      anthropic.reset();
      openai.reset();
    });
    afterEach(async () => {
      api.runs.last?.dispose();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    it('streams into a side panel: the rendered prompt sent, the text shown as text, provider, model, tokens and cost', async () => {
      anthropic.script(anthropicText(['<img src=x onerror="alert(1)">', ' & the moon', ' pulls.'], { inputTokens: 20, cacheRead: 5, outputTokens: 3 }));
      const panel = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'tides' } })) as RunPanel;
      assert.ok(panel, 'the command answers with its panel');
      // A new webview gets its column once the workbench has shown it, a moment after the command answers.
      await until(() => panel.panel.viewColumn !== undefined, 'the panel shown in an editor column');
      const [sent] = anthropic.received;
      assert.equal(anthropic.received.length, 1);
      assert.equal(sent!.headers.authorization, 'Bearer sk-ant-host-0123456789wxyz');
      assert.equal(sent!.body.model, 'claude-sonnet-4-5');
      assert.equal(sent!.body.stream, true);
      assert.deepEqual(sent!.body.messages, [{ role: 'user', content: 'Explain tides in one sentence.' }]);
      assert.equal(openai.received.length, 0);
      const side = panel.state.sides[0]!;
      assert.equal(side.status, 'succeeded');
      // The markup arrives as text: textContent of an element made from it would be empty.
      const shown = await shownOutputs(panel, ['<img src=x onerror="alert(1)"> & the moon pulls.']);
      assert.match(shown.usage[0]!, /^anthropic:claude-sonnet-4-5 · tokens in 25 \(cached 5\), out 3 · ≈ \$[\d.]+ · first token \d+ ms · total \d+ ms$/);
      assert.equal(shown.problems[0], '');
      const run = await owner.getRun({ params: { id: side.runId! } });
      assert.equal(run.output, '<img src=x onerror="alert(1)"> & the moon pulls.');
      assert.deepEqual(run.variables, { topic: 'tides' });
    });

    it('shows the text as it streams; Cancel closes the stream and the backend logs the run as cancelled', async () => {
      anthropic.script(anthropicText(['Partial', ' answer'], { hang: true }));
      const aborted = anthropic.nextAbort();
      const running = vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'waves' } }) as Thenable<RunPanel>;
      const panel = await until(() => api.runs.last?.state.title === `Run: ${promptPath}` && api.runs.last.state.sides[0]!.status === 'streaming' && api.runs.last, 'the run to stream');
      await shownOutputs(panel, ['Partial answer'], false);
      assert.equal(panel.state.done, false, 'still streaming while the provider holds the stream open');
      panel.cancel(); // what the webview's Cancel button posts
      assert.equal(await running, panel);
      await aborted;
      assert.equal(panel.state.sides[0]!.status, 'cancelled');
      let run: Run | undefined;
      await until(async () => (run = (await owner.listRuns({ query: { status: 'cancelled', prompt: promptId } })).items.find((r) => r.id === panel.state.sides[0]!.runId)), 'the cancelled run in the log');
      assert.equal(run!.output, 'Partial answer');
    });

    it('fails over before the first token and lists the attempts; a model override runs on that model only', async () => {
      anthropic.script(anthropicError(529, 'overloaded_error', 'Overloaded'));
      const panel = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'tides' } })) as RunPanel;
      const shown = await shownOutputs(panel, ['Hello from OpenAI']);
      assert.match(shown.usage[0]!, /^openai:gpt-4o-mini · tokens in 11/);
      assert.deepEqual(panel.state.sides[0]!.attempts.map((a) => `${a.provider}:${a.outcome}`), ['anthropic:failed_over', 'openai:ok']);
      assert.equal(openai.received.length, 1);
      panel.dispose();
      anthropic.reset();
      openai.reset();
      const direct = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'tides' }, model: 'openai:gpt-4o-mini' })) as RunPanel;
      await shownOutputs(direct, ['Hello from OpenAI']);
      assert.equal(anthropic.received.length, 0);
      assert.equal(openai.received[0]!.body.model, 'gpt-4o-mini');
    });

    it('says what each refusal means: no key for the provider, budget spent, no write scope', async () => {
      const noKey = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'x' }, model: 'mistral:large' })) as RunPanel;
      assert.match((await until(() => noKey.shown?.done && noKey.shown.problems[0], 'the problem shown')), /^No API key is configured for that provider/);
      assert.equal(noKey.state.sides[0]!.status, 'failed');
      noKey.dispose();
      await owner.updateRunSettings({ body: { monthlyBudgetUsd: 0 } });
      try {
        const broke = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'x' } })) as RunPanel;
        assert.match((await until(() => broke.shown?.done && broke.shown.problems[0], 'the problem shown')), /monthly run budget is spent/);
        broke.dispose();
      } finally {
        await owner.updateRunSettings({ body: { monthlyBudgetUsd: null } });
      }
      await api.connection.signIn(config.viewerToken);
      try {
        const viewer = (await vscode.commands.executeCommand('rocqet.runPrompt', { prompt: promptPath, values: { topic: 'x' } })) as RunPanel;
        assert.match((await until(() => viewer.shown?.done && viewer.shown.problems[0], 'the problem shown')), /runs need the write scope/);
      } finally {
        await api.connection.signIn(config.ownerToken);
      }
      assert.equal(anthropic.received.length + openai.received.length, 0, 'nothing reached a provider');
    });

    it('compares two versions on the same variables: both streams side by side, their usage, and the output diff', async () => {
      await owner.createTag({ params: { prompt: promptId }, body: { name: 'v1' } });
      const head = await owner.getPrompt({ params: { prompt: promptId } });
      await owner.commit({ params: { prompt: promptId }, body: { content: PROMPT.replace('one sentence', 'two words'), message: 'shorter', parent: head.commit.id } });
      anthropic.fallback((req, res) =>
        anthropicText(String((req.body.messages as { content: string }[])[0]!.content).includes('two words') ? ['Moon', ' pull.'] : ['The moon', ' pulls', ' the sea.'])(req, res),
      );
      try {
        const panel = (await vscode.commands.executeCommand('rocqet.compareVersions', { prompt: promptPath, refs: ['v1', 'main'], values: { topic: 'tides' } })) as RunPanel;
        const shown = await shownOutputs(panel, ['The moon pulls the sea.', 'Moon pull.']);
        assert.equal(shown.usage.length, 2);
        for (const u of shown.usage) assert.match(u, /^anthropic:claude-sonnet-4-5 · tokens in 12/);
        assert.deepEqual(panel.state.sides.map((s) => s.commitSeq), [1, 2]);
        assert.deepEqual(anthropic.received.map((r) => (r.body.messages as { content: string }[])[0]!.content).sort(), ['Explain tides in one sentence.', 'Explain tides in two words.']);
        assert.deepEqual(panel.state.diff, { added: 1, removed: 1 });
        const [left, right] = api.runs.lastDiff!;
        const tab = await until(() => {
          const t = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((x) => x.input instanceof vscode.TabInputTextDiff);
          return t?.input as vscode.TabInputTextDiff | undefined;
        }, 'the output diff editor');
        assert.equal(tab.original.toString(), left.toString());
        assert.equal(tab.modified.toString(), right.toString());
        assert.equal((await vscode.workspace.openTextDocument(left)).getText(), 'The moon pulls the sea.');
        assert.equal((await vscode.workspace.openTextDocument(right)).getText(), 'Moon pull.');
      } finally {
        anthropic.fallback(anthropicText(['Hello', ' from', ' Claude']));
      }
    });
  });
}

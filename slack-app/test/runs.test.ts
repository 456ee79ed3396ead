import assert from 'node:assert/strict';
import { anthropicStandIn, anthropicText, openaiStandIn, openaiText, type Reply, type StandIn } from '../../backend/test/runs/standins.js';
import { blockAction, startSlackTest, textOf, typed, viewSubmission, type SlackTest } from './support.js';

const explainer = [
  '---',
  'model: anthropic:claude-sonnet-4-5',
  'variables:',
  '  topic: { required: true, description: what to explain }',
  '---',
  'Explain {{topic}} in one sentence.',
  '',
].join('\n');

/** A provider reply held until the test opens the gate: whatever Slack saw before that did not wait for the run. */
function gated(reply: Reply): { reply: Reply; open: () => void } {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => (open = r));
  return { reply: async (req, res) => (await gate, reply(req, res)), open };
}

describe('Slack app: the Run button, through the sdk with the member’s own token, on the provider stand-ins', () => {
  let t: SlackTest;
  let anthropic: StandIn;
  let openai: StandIn;
  let explainerId: string;
  before(async () => {
    t = await startSlackTest();
    [anthropic, openai] = await Promise.all([anthropicStandIn(), openaiStandIn()]);
    await t.ws.owner.setProviderKey({ body: { name: 'anthropic', apiKey: 'sk-ant-slack-0123456789wxyz', baseUrl: anthropic.origin } });
    await t.ws.owner.setProviderKey({ body: { name: 'openai', apiKey: 'sk-slack-openai-0123456789abcd', baseUrl: `${openai.origin}/v1` } });
    await t.ws.owner.updateRunSettings({ body: { chain: ['anthropic:claude-sonnet-4-5', 'openai:gpt-4o-mini'] } });
    explainerId = (await t.ws.owner.createPrompt({ body: { title: 'Explainer', slug: 'explainer', content: explainer } })).id;
    await t.link();
  });
  after(async () => {
    await t?.close();
    await Promise.all([anthropic?.close(), openai?.close()]);
  });
  beforeEach(() => {
    t.slack.reset();
    anthropic.reset();
    openai.reset();
  });

  it('search results carry Run; its modal asks the declared variables; the output comes ephemerally after the ack', async () => {
    const res = await t.command('search explainer');
    const [answer] = await t.slack.waitForResponse(res.responseId);
    const actions = (answer!.body.blocks as any[]).find((b) => b.type === 'actions' && b.block_id === `hit:${explainerId}`);
    assert.deepEqual(actions.elements.map((e: any) => e.action_id), ['rocqet_share', 'rocqet_insert', 'rocqet_run', 'rocqet_vscode']);
    const run = actions.elements[2];
    assert.equal(run.value, JSON.stringify({ p: explainerId }));

    const click = blockAction(t.slack, t.users.editor, { action_id: 'rocqet_run', value: run.value }, 'run1');
    assert.equal((await t.interact(click)).status, 200);
    const [open] = await t.slack.waitForCall('views.open');
    assert.equal(open!.body.trigger_id, click.trigger_id);
    assert.equal(open!.body.token, 'xoxb-test-bot-token');
    const view = open!.body.view;
    assert.deepEqual([view.callback_id, view.title.text, view.submit.text], ['rocqet_variables', 'Run prompt', 'Run']);
    assert.equal(view.blocks[1].label.text, 'topic — what to explain');
    assert.equal(JSON.parse(view.private_metadata).m, 'run');

    const missing = await t.interact(viewSubmission(view, t.users.editor, { var_0: typed('') }));
    assert.deepEqual(missing.json(), { response_action: 'errors', errors: { var_0: 'topic is required.' } });
    assert.equal(anthropic.received.length, 0);

    const held = gated(anthropicText(['The moon', ' pulls <the> sea', ' & shore.'], { inputTokens: 30, cacheRead: 10, outputTokens: 4 }));
    anthropic.script(held.reply);
    const ok = await t.interact(viewSubmission(view, t.users.editor, { var_0: typed('tides') }));
    assert.deepEqual(ok.json(), { response_action: 'clear' }, 'the form closes before the model answers');
    assert.equal(t.slack.responsesTo('run1').length, 0);
    held.open();
    const [posted] = await t.slack.waitForResponse('run1');
    assert.equal(posted!.body.response_type, 'ephemeral');
    assert.equal(posted!.body.replace_original, false);
    const text = textOf(posted!.body.blocks);
    assert.match(text, /```The moon pulls &lt;the&gt; sea &amp; shore\.```/);
    assert.match(text, /`anthropic:claude-sonnet-4-5` · tokens in 40 \(cached 10\), out 4 · ≈ \$[\d.]+ · first token \d+ ms · \d+ ms/);
    assert.match(text, /`explainer` @ `main` \(#1\) — succeeded/);

    const [sent] = anthropic.received;
    assert.deepEqual(sent!.body.messages, [{ role: 'user', content: 'Explain tides in one sentence.\n' }]);
    assert.equal(sent!.headers.authorization, 'Bearer sk-ant-slack-0123456789wxyz');
    // Run as the member (their delegated token), so the run log names them.
    const editor = (await t.ws.owner.listMembers({ query: { limit: 100 } })).items.find((m) => m.email === t.emails.editor)!;
    const [logged] = (await t.ws.owner.listRuns({ query: { prompt: explainerId } })).items;
    assert.equal(logged!.createdBy, editor.userId);
    assert.deepEqual(logged!.variables, { topic: 'tides' });
    assert.deepEqual(t.slack.violations, []);
  });

  it('a prompt without variables runs at once from a share card; a long output is cut within Block Kit limits', async () => {
    const plain = await t.ws.owner.createPrompt({ body: { title: 'Long story', slug: 'long-story', content: '---\nmodel: openai:gpt-4o-mini\n---\nTell a long story.\n' } });
    const share = await t.command('share long-story', t.users.editor);
    const [card] = await t.slack.waitForResponse(share.responseId);
    const actions = (card!.body.blocks as any[]).at(-1);
    const runButton = actions.elements.find((e: any) => e.action_id === 'rocqet_run');
    assert.equal(runButton.value, JSON.stringify({ p: plain.id, r: 'main' }));
    const words = Array.from({ length: 6000 }, (_, i) => ` word${i}`);
    openai.script(openaiText([words.slice(0, 3000).join(''), words.slice(3000).join('')]));
    await t.interact(blockAction(t.slack, t.users.editor, { action_id: 'rocqet_run', value: runButton.value }, 'run2'));
    const [posted] = await t.slack.waitForResponse('run2');
    assert.equal(t.slack.of('views.open').length, 0, 'no form for a prompt without variables');
    const blocks = posted!.body.blocks as any[];
    assert.ok(blocks.length <= 50);
    for (const b of blocks.filter((x) => x.type === 'section')) assert.ok(b.text.text.length <= 3000);
    const total = words.join('').length;
    assert.match(textOf(blocks), new RegExp(`Cut after [\\d,]+ of ${total.toLocaleString('en')} characters\\.`));
    assert.match(textOf(blocks), /`openai:gpt-4o-mini`/);
    assert.equal(openai.received[0]!.body.model, 'gpt-4o-mini');
    assert.deepEqual(t.slack.violations, []);
  });

  it('an unmapped user and a viewer are told why they cannot run, and nothing is run', async () => {
    const value = JSON.stringify({ p: explainerId });
    await t.interact(blockAction(t.slack, t.users.stranger, { action_id: 'rocqet_run', value }, 'run-stranger'));
    const [stranger] = await t.slack.waitForResponse('run-stranger');
    assert.equal(stranger!.body.response_type, 'ephemeral');
    assert.match(stranger!.body.text, /runs need the write scope\. No member of ".*" has your Slack email \(stranger\+/);
    await t.interact(blockAction(t.slack, t.users.viewer, { action_id: 'rocqet_run', value }, 'run-viewer'));
    const [viewer] = await t.slack.waitForResponse('run-viewer');
    assert.match(viewer!.body.text, /runs need the write scope\. Your Rocqet role \(viewer\) reads but does not write\./);
    assert.equal(t.slack.of('views.open').length, 0);
    assert.equal(anthropic.received.length + openai.received.length, 0);
    assert.equal((await t.ws.owner.listRuns({ query: { prompt: explainerId } })).items.length, 1, 'only the first test’s run');
  });

  it('a refusal says what it means: no key for the provider, the budget spent', async () => {
    const mistral = await t.ws.owner.createPrompt({ body: { title: 'Mistral', slug: 'mistral', content: '---\nmodel: mistral:large\n---\nHi\n' } });
    await t.interact(blockAction(t.slack, t.users.editor, { action_id: 'rocqet_run', value: JSON.stringify({ p: mistral.id }) }, 'run-nokey'));
    const [noKey] = await t.slack.waitForResponse('run-nokey');
    assert.match(noKey!.body.text, /^No API key is configured in Rocqet for that provider: a Rocqet admin adds one\. \(/);
    const hello = await t.ws.owner.createPrompt({ body: { title: 'Hello', slug: 'hello', content: 'Say hello.\n' } });
    await t.ws.owner.updateRunSettings({ body: { monthlyBudgetUsd: 0 } });
    try {
      await t.interact(blockAction(t.slack, t.users.editor, { action_id: 'rocqet_run', value: JSON.stringify({ p: hello.id }) }, 'run-budget'));
      const [budget] = await t.slack.waitForResponse('run-budget');
      assert.match(budget!.body.text, /monthly run budget is spent/);
    } finally {
      await t.ws.owner.updateRunSettings({ body: { monthlyBudgetUsd: null } });
    }
    assert.equal(anthropic.received.length + openai.received.length, 0);
  });
});

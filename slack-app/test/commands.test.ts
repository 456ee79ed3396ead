import assert from 'node:assert/strict';
import { blockAction, PUBLIC_URL, startSlackTest, textOf, typed, selected, viewSubmission, type SlackTest } from './support.js';

const greeter = [
  '---',
  'description: Greets someone',
  'variables:',
  '  name:',
  '    description: who to greet',
  '  lang:',
  '    enum: [en, fr, de]',
  '    default: fr',
  '---',
  'Hello {{name}}, in {{lang}}.',
  '',
].join('\n');

describe('Slack app: linking, /rocqet search, share and new, against a real backend', () => {
  let t: SlackTest;
  let supportId: string;
  before(async () => {
    t = await startSlackTest();
    const support = await t.ws.owner.createFolder({ body: { name: 'support' } });
    supportId = support.id;
    await t.ws.owner.createPrompt({
      body: { title: 'Refund reply', slug: 'refund', folderId: supportId, tags: ['billing'], content: 'Apologise for the refund delay & <explain> the next steps.\n' },
    });
    await t.ws.owner.createPrompt({ body: { title: 'Greeter', slug: 'greeter', folderId: supportId, content: greeter } });
  });
  after(() => t?.close());
  beforeEach(() => t.slack.reset());

  describe('before the team is linked', () => {
    it('a command says how to link, never silence', async () => {
      const res = await t.command('search refund');
      assert.equal(res.status, 200);
      const [answer] = await t.slack.waitForResponse(res.responseId);
      assert.equal(answer!.body.response_type, 'ephemeral');
      assert.match(answer!.body.text, /not linked to a Rocqet workspace yet.*\/rocqet link/);
    });

    it('/rocqet link opens the token modal at once with the bot token; a non-admin Slack user is refused in the form', async () => {
      const cmd = await t.command('link', t.users.editor);
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.token, 'xoxb-test-bot-token');
      assert.equal(open!.body.trigger_id, `trigger-${cmd.responseId}`);
      assert.match(open!.contentType, /application\/x-www-form-urlencoded/);
      assert.equal(open!.body.view.callback_id, 'rocqet_link');
      assert.equal(open!.body.view.blocks[1].block_id, 'token');
      const res = await t.interact(viewSubmission(open!.body.view, t.users.editor, { token: typed(t.ws.ownerToken) }));
      assert.deepEqual(res.json(), { response_action: 'errors', errors: { token: 'Only a Slack workspace admin or owner can link it to Rocqet.' } });
    });

    it('a token Rocqet does not accept, or one without the admin scope, is refused in the form', async () => {
      const cmd = await t.command('link', t.users.admin);
      await t.slack.waitForCall('views.open');
      const view = t.slack.of('views.open')[0]!.body.view;
      assert.ok(cmd.status === 200);
      const bad = await t.interact(viewSubmission(view, t.users.admin, { token: typed('rq_live_thisTokenWasNeverIssued000000000000') }));
      assert.equal(bad.json().response_action, 'errors');
      assert.match(bad.json().errors.token, /does not accept this token/);
      const { secret } = await t.ws.owner.createToken({ body: { name: 'read only', scopes: ['read'] } });
      const weak = await t.interact(viewSubmission(view, t.users.admin, { token: typed(secret) }));
      assert.match(weak.json().errors.token, /lacks the admin scope/);
      const empty = await t.interact(viewSubmission(view, t.users.admin, { token: typed('  ') }));
      assert.deepEqual(empty.json().errors, { token: 'Paste a Rocqet token.' });
    });

    it('a Slack admin links with an admin token: stored sealed, never shown again nor sent to Slack', async () => {
      await t.link();
      const { rows } = await t.app.backend.pool.query('SELECT * FROM slack_team_link WHERE team_id = $1', [t.slack.teamId]);
      assert.equal(rows.length, 1);
      assert.equal(rows[0].workspace_id, t.ws.id);
      assert.match(rows[0].sealed_token, /^rq1\./);
      assert.ok(!JSON.stringify(rows[0]).includes(t.ws.ownerToken));
      assert.ok(!JSON.stringify(t.slack.calls).includes(t.ws.ownerToken), 'the token went back to Slack');
      // The link made a read-only token for unmapped users' reads and the feed.
      const tokens = await t.ws.owner.listTokens();
      const reader = tokens.items.find((k) => k.id === rows[0].reader_token_id);
      assert.deepEqual(reader?.scopes, ['read']);
    });
  });

  describe('search', () => {
    it('answers ephemerally with title, path, snippet, tags and Share / Insert / Run / Open in VS Code', async () => {
      const res = await t.command('search refund');
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
      const [answer] = await t.slack.waitForResponse(res.responseId);
      const blocks = answer!.body.blocks as any[];
      assert.equal(answer!.body.response_type, 'ephemeral');
      const text = textOf(blocks);
      assert.match(text, /<https:\/\/rocqet\.example\.com\/p\/support\/refund\|Refund reply>/);
      assert.match(text, /`support\/refund`/);
      assert.match(text, /\*refund\*/i, 'the matched word is bold');
      assert.match(text, /&amp;/, 'the snippet stays escaped for Slack');
      assert.match(text, /`billing`/);
      const actions = blocks.find((b) => b.type === 'actions');
      assert.deepEqual(actions.elements.map((e: any) => e.action_id), ['rocqet_share', 'rocqet_insert', 'rocqet_run', 'rocqet_vscode']);
      assert.match(actions.elements[3].url, /^vscode:\/\/rocqet\.rocqet-vscode\/open\?path=support%2Frefund/);
      assert.deepEqual(t.slack.violations, []);
    });

    it('more results are paginated in place (replace_original) with the cursor in the button', async () => {
      for (let i = 0; i < 7; i++) {
        await t.ws.owner.createPrompt({ body: { title: `Onboarding step ${i}`, slug: `onboarding-${i}`, content: `Onboarding checklist item ${i}\n` } });
      }
      const res = await t.command('search onboarding');
      const [first] = await t.slack.waitForResponse(res.responseId);
      const firstBlocks = first!.body.blocks as any[];
      assert.equal(firstBlocks.filter((b) => b.type === 'actions' && String(b.block_id).startsWith('hit:')).length, 5);
      const more = firstBlocks.find((b) => b.block_id === 'pages').elements[0];
      assert.equal(more.action_id, 'rocqet_search_more');
      const click = await t.interact(blockAction(t.slack, t.users.editor, { action_id: more.action_id, value: more.value, block_id: 'pages' }, 'page2'));
      assert.equal(click.status, 200);
      const [second] = await t.slack.waitForResponse('page2');
      assert.equal(second!.body.replace_original, true);
      const hits = (second!.body.blocks as any[]).filter((b) => String(b.block_id).startsWith('hit:'));
      assert.equal(hits.length, 2);
      assert.match(textOf(second!.body.blocks), /page 2/);
      const firstIds = firstBlocks.filter((b) => String(b.block_id).startsWith('hit:')).map((b) => b.block_id);
      for (const h of hits) assert.ok(!firstIds.includes(h.block_id), 'page 2 repeats a result');
    });

    it('no words, nothing found, or a stale button: a clear answer each', async () => {
      const empty = await t.command('search   ');
      assert.match((await t.slack.waitForResponse(empty.responseId))[0]!.body.text, /Say what to look for/);
      const none = await t.command('search zzyzzx');
      assert.match(textOf((await t.slack.waitForResponse(none.responseId))[0]!.body.blocks), /Nothing found for \*zzyzzx\*/);
      await t.interact(blockAction(t.slack, t.users.editor, { action_id: 'rocqet_search_more', value: 'not json' }, 'stale'));
      assert.match((await t.slack.waitForResponse('stale'))[0]!.body.text, /out of date/);
      const long = await t.command('search ' + 'x'.repeat(600));
      assert.match((await t.slack.waitForResponse(long.responseId))[0]!.body.text, /at most 500 characters/);
    });
  });

  describe('share', () => {
    it('a prompt without variables is posted to the channel as a card, with no modal', async () => {
      const res = await t.command('share support/refund', t.users.viewer);
      const [answer] = await t.slack.waitForResponse(res.responseId);
      assert.equal(answer!.body.response_type, 'in_channel');
      const blocks = answer!.body.blocks as any[];
      assert.deepEqual(blocks[0], { type: 'header', text: { type: 'plain_text', text: 'Refund reply', emoji: true } });
      const text = textOf(blocks);
      assert.match(text, /```Apologise for the refund delay &amp; &lt;explain&gt; the next steps\.\n```/);
      assert.match(text, /shared by <@UVIEWER>/);
      const open = blocks.at(-1).elements[0];
      assert.equal(open.url, `${PUBLIC_URL}/p/support/refund?ref=main`);
      assert.equal(t.slack.of('views.open').length, 0);
    });

    it('declared variables are asked in a modal first: enums as selects, defaults prefilled, required ones validated', async () => {
      const res = await t.command('share support/greeter@main', t.users.editor);
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.body.trigger_id, `trigger-${res.responseId}`);
      const view = open!.body.view;
      assert.equal(view.callback_id, 'rocqet_variables');
      assert.equal(view.title.text, 'Share prompt');
      const [, name, lang] = view.blocks;
      assert.equal(name.type, 'input');
      assert.equal(name.optional, false);
      assert.equal(name.label.text, 'name — who to greet');
      assert.equal(name.element.type, 'plain_text_input');
      assert.equal(lang.optional, true);
      assert.equal(lang.element.type, 'static_select');
      assert.deepEqual(lang.element.options.map((o: any) => o.value), ['en', 'fr', 'de']);
      assert.equal(lang.element.initial_option.value, 'fr');
      const missing = await t.interact(viewSubmission(view, t.users.editor, { var_0: typed(''), var_1: selected('fr') }));
      assert.deepEqual(missing.json(), { response_action: 'errors', errors: { var_0: 'name is required.' } });
      assert.equal(t.slack.responsesTo(res.responseId).length, 0);
      const bad = await t.interact(viewSubmission(view, t.users.editor, { var_0: typed('Ada'), var_1: selected('klingon') }));
      assert.equal(bad.json().response_action, 'errors');
      assert.match(bad.json().errors.var_1, /lang/);
      const ok = await t.interact(viewSubmission(view, t.users.editor, { var_0: typed('Ada'), var_1: selected('de') }));
      assert.deepEqual(ok.json(), { response_action: 'clear' });
      const [posted] = await t.slack.waitForResponse(res.responseId);
      assert.equal(posted!.body.response_type, 'in_channel');
      assert.match(textOf(posted!.body.blocks), /Hello Ada, in de\./);
      assert.match(textOf(posted!.body.blocks), /rendered with the values given/);
    });

    it('an unknown path or ref says so; a viewer cannot share what their workspace does not hold', async () => {
      const unknown = await t.command('share support/nope', t.users.viewer);
      assert.match((await t.slack.waitForResponse(unknown.responseId))[0]!.body.text, /No prompt `support\/nope` in "Workspace .*" that you can read/);
      const badRef = await t.command('share support/refund@v9', t.users.viewer);
      assert.match((await t.slack.waitForResponse(badRef.responseId))[0]!.body.text, /`support\/refund` has no branch, tag or commit `v9`/);
      const other = await t.app.workspace();
      const secret = await other.owner.createPrompt({ body: { title: 'Secret plan', slug: 'secret-plan', content: 'Other workspace only\n' } });
      const foreign = await t.command(`share ${secret.id}`, t.users.viewer);
      const [answer] = await t.slack.waitForResponse(foreign.responseId);
      assert.equal(answer!.body.response_type, 'ephemeral');
      assert.match(answer!.body.text, /No prompt .* that you can read/);
      assert.ok(!JSON.stringify(answer!.body).includes('Other workspace only'));
      const nothing = await t.command('share', t.users.viewer);
      assert.match((await t.slack.waitForResponse(nothing.responseId))[0]!.body.text, /Name the prompt/);
    });

    it('a 20,000-character prompt is cut within Block Kit limits, with a link to the whole', async () => {
      const long = Array.from({ length: 400 }, (_, i) => `Line ${i}: ${'lorem ipsum '.repeat(4)}`).join('\n').slice(0, 20_000);
      assert.equal(long.length, 20_000);
      await t.ws.owner.createPrompt({ body: { title: 'A very long prompt with a title longer than a modal title allows', slug: 'long', folderId: supportId, content: long } });
      const res = await t.command('share support/long', t.users.editor);
      const [answer] = await t.slack.waitForResponse(res.responseId);
      const blocks = answer!.body.blocks as any[];
      assert.ok(blocks.length <= 50);
      const sections = blocks.filter((b) => b.type === 'section');
      for (const s of sections) assert.ok(s.text.text.length <= 3000, `section of ${s.text.text.length}`);
      assert.match(textOf(blocks), /Cut after [\d,]+ of 20,000 characters: <https:\/\/rocqet\.example\.com\/p\/support\/long\?ref=main\|see the whole prompt>/);
      assert.deepEqual(t.slack.violations, []);
    });

    it('Share and Insert buttons on a search result: a prompt with variables opens the modal on the click trigger', async () => {
      const greeterHit = await t.ws.owner.getPrompt({ params: { prompt: 'support/greeter' } });
      const value = JSON.stringify({ p: greeterHit.id });
      const click = blockAction(t.slack, t.users.editor, { action_id: 'rocqet_insert', value }, 'insert1');
      await t.interact(click);
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.body.trigger_id, click.trigger_id);
      assert.equal(open!.body.view.title.text, 'Insert prompt');
      const ok = await t.interact(viewSubmission(open!.body.view, t.users.editor, { var_0: typed('Grace'), var_1: selected('en') }));
      assert.deepEqual(ok.json(), { response_action: 'clear' });
      const [posted] = await t.slack.waitForResponse('insert1');
      assert.equal(posted!.body.response_type, 'in_channel');
      assert.equal(posted!.body.replace_original, false);
      assert.match(textOf(posted!.body.blocks), /```Hello Grace, in en\.\n```/);
      assert.match(textOf(posted!.body.blocks), /inserted by <@UEDITOR>/);
    });
  });

  describe('new, and Save as prompt', () => {
    it('an unmapped or unverified user is told why they cannot write, and no modal opens', async () => {
      const stranger = await t.command('new', t.users.stranger);
      const [s] = await t.slack.waitForResponse(stranger.responseId);
      assert.match(s!.body.text, /No member of "Workspace .*" has your Slack email \(stranger\+.*\): you can read, not write/);
      const unverified = await t.command('new', t.users.unverified);
      assert.match((await t.slack.waitForResponse(unverified.responseId))[0]!.body.text, /email is not verified/);
      const viewer = await t.command('new', t.users.viewer);
      assert.match((await t.slack.waitForResponse(viewer.responseId))[0]!.body.text, /role \(viewer\) reads but does not write/);
      assert.equal(t.slack.of('views.open').length, 0);
      // Unmapped users still read.
      const search = await t.command('search refund', t.users.stranger);
      assert.match(textOf((await t.slack.waitForResponse(search.responseId))[0]!.body.blocks), /Refund reply/);
    });

    it('an editor saves a prompt through the modal; the commit is audited as them, created through the admin', async () => {
      const res = await t.command('new', t.users.editor);
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.body.trigger_id, `trigger-${res.responseId}`);
      const view = open!.body.view;
      assert.equal(view.callback_id, 'rocqet_new');
      assert.deepEqual(view.blocks.map((b: any) => b.block_id), ['title', 'folder', 'text', 'message']);
      const noFolder = await t.interact(viewSubmission(view, t.users.editor, { title: typed('Escalation'), folder: typed('nowhere'), text: typed('Escalate {{ticket}}'), message: typed('') }));
      assert.deepEqual(noFolder.json(), { response_action: 'errors', errors: { folder: 'No folder "nowhere" in Rocqet.' } });
      const noText = await t.interact(viewSubmission(view, t.users.editor, { title: typed('Escalation'), folder: typed(''), text: typed('  '), message: typed('') }));
      assert.deepEqual(noText.json().errors, { text: 'A prompt needs some text.' });
      const saved = await t.interact(viewSubmission(view, t.users.editor, { title: typed('Escalation'), folder: typed('support'), text: typed('Escalate {{ticket}} now.'), message: typed('From Slack') }));
      assert.equal(saved.json().response_action, 'update');
      assert.match(textOf(saved.json().view.blocks), /\*Escalation\* is saved as `support\/escalation` \(commit #1\)/);
      const prompt = await t.ws.owner.getPrompt({ params: { prompt: 'support/escalation' } });
      assert.equal(prompt.content, 'Escalate {{ticket}} now.');
      assert.equal(prompt.commit.message, 'From Slack');
      const audit = await t.ws.owner.listAudit({ query: { action: 'prompt.create', limit: 5 } });
      const entry = audit.items.find((e) => e.resourceId === prompt.id)!;
      assert.equal(entry.actor.email, t.emails.editor, 'audited as the member who wrote it');
      assert.equal(entry.actor.mintedByUserId, t.ws.ownerUserId, 'through a token the linking admin created');
      const again = await t.interact(viewSubmission(view, t.users.editor, { title: typed('Escalation'), folder: typed('support'), text: typed('x'), message: typed('') }));
      assert.deepEqual(again.json().errors, { title: 'A prompt with this title already exists in that folder: choose another title.' });
    });

    it('Save as prompt opens the new modal prefilled with the message; a message too long for a text box is kept whole', async () => {
      const shortcut = (text: string) => ({
        type: 'message_action',
        callback_id: 'rocqet_save',
        team: { id: t.slack.teamId, domain: 'acme' },
        user: { id: t.users.editor, team_id: t.slack.teamId },
        channel: { id: 'C0GENERAL', name: 'general' },
        message: { type: 'message', user: 'UOTHER', ts: '1700000000.000300', text },
        message_ts: '1700000000.000300',
        response_url: t.slack.responseUrl('save1'),
        trigger_id: 'trigger-save-1',
        token: 'deprecated-verification-token',
        is_enterprise_install: false,
        enterprise: null,
      });
      await t.interact(shortcut('*Triage* a bug\nAsk for steps &amp; logs &lt;first&gt;.'));
      const [open] = await t.slack.waitForCall('views.open');
      assert.equal(open!.body.trigger_id, 'trigger-save-1');
      const [title, , text] = open!.body.view.blocks;
      assert.equal(title.element.initial_value, 'Triage a bug');
      assert.equal(text.element.initial_value, '*Triage* a bug\nAsk for steps & logs <first>.');
      const long = 'Review this diff carefully.\n' + 'x'.repeat(5_000);
      await t.interact(shortcut(long));
      const opens = await t.slack.waitForCall('views.open', 2);
      const view = opens[1]!.body.view;
      assert.deepEqual(view.blocks.map((b: any) => b.block_id ?? b.type), ['title', 'folder', 'section', 'message']);
      assert.deepEqual(t.slack.violations, []);
      const saved = await t.interact(viewSubmission(view, t.users.editor, { title: typed('Review diff'), folder: typed(''), message: typed('') }));
      assert.equal(saved.json().response_action, 'update', JSON.stringify(saved.json()));
      const prompt = await t.ws.owner.getPrompt({ params: { prompt: 'review-diff' } });
      assert.equal(prompt.content, long);
    });
  });

  describe('answers to everything, and a Web API that refuses', () => {
    it('anything else gets a clear answer with the help', async () => {
      const res = await t.command('frobnicate now');
      const [answer] = await t.slack.waitForResponse(res.responseId);
      assert.match(answer!.body.text, /`\/rocqet frobnicate` is not a Rocqet command/);
      assert.match(answer!.body.text, /\/rocqet share <path>\[@ref\]/);
    });

    it('a Web API answering 429 is retried after Retry-After, and the modal still opens', async () => {
      t.slack.script('views.open', { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } });
      await t.command('new', t.users.editor);
      const opens = await t.slack.waitForCall('views.open', 2);
      assert.ok(opens[1]!.at - opens[0]!.at >= 900, `retried after ${opens[1]!.at - opens[0]!.at} ms, not after Retry-After`);
      assert.equal(opens[1]!.body.view.callback_id, 'rocqet_new');
    });

    it('a Web API that fails (not_in_channel) is reported and changes nothing', async () => {
      t.slack.notInChannel.add('C0PRIVATE');
      const res = await t.command('subscribe support', t.users.editor, { channel_id: 'C0PRIVATE' });
      const [answer] = await t.slack.waitForResponse(res.responseId);
      assert.match(answer!.body.text, /cannot post in this channel: invite it first/);
      const { rows } = await t.app.backend.pool.query("SELECT 1 FROM slack_channel_subscription WHERE channel_id = 'C0PRIVATE'");
      assert.equal(rows.length, 0);
    });
  });
});

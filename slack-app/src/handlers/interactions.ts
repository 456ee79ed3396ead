import { RocqetError, type VariableValue } from '@rocqet/sdk';
import { doneView, newPromptModal, variableBlockId } from '../blocks/modals.js';
import { escapeMrkdwn, LIMITS } from '../blocks/limits.js';
import { libraryClient, NotLinkedError, resolveAccess, type Access } from '../access.js';
import { saveTeamLink } from '../store/links.js';
import { dropPendingText, savePendingText, takePendingText } from '../store/events.js';
import { NoSecretKeyError } from '../store/sealer.js';
import { promptUrl } from '../urls.js';
import { search } from './commands.js';
import { afterAck, explain, openModalFor, replyTo, UserFacing, withAccess, type Deps } from './context.js';
import { bodyOf, declaredVariables, loadPrompt, noteUse, shareMessage, shareModal, type Loaded } from './prompts.js';
import { runAndReply, runRefusal } from './runs.js';

type Values = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>>;

export interface ViewPayload {
  team: { id: string } | null;
  enterprise?: { id: string } | null;
  user: { id: string; team_id?: string };
  view: { callback_id: string; private_metadata?: string; state: { values: Values }; team_id?: string };
}

export type SubmissionAck =
  | { response_action: 'errors'; errors: Record<string, string> }
  | { response_action: 'update'; view: object }
  | { response_action: 'clear' }
  | undefined;

const teamOf = (p: { team?: { id: string } | null; user: { team_id?: string }; view?: { team_id?: string } }) =>
  p.team?.id ?? p.user.team_id ?? p.view?.team_id ?? '';

const valueOf = (values: Values, block: string): string => {
  const v = values[block]?.value;
  return (v?.selected_option?.value ?? v?.value ?? '').trim();
};

function metadata(view: ViewPayload['view']): Record<string, string | undefined> {
  try {
    const m = JSON.parse(view.private_metadata || '{}') as unknown;
    return m && typeof m === 'object' ? (m as Record<string, string | undefined>) : {};
  } catch {
    return {};
  }
}

/** Work done before answering a submission (so refusals show in the form) must end well inside Slack's 3 s. */
const SUBMISSION_BUDGET_MS = 2_200;

function budgeted(deps: Deps): Deps {
  return { ...deps, timeoutMs: SUBMISSION_BUDGET_MS };
}

function failureAsErrors(deps: Deps, err: unknown, block: string): SubmissionAck {
  let text = explain(deps, err);
  if (err instanceof RocqetError && err.code === 'network_error' && /timeout|aborted/i.test(err.message)) {
    text = 'Rocqet did not answer in time. Check whether it was saved before trying again.';
  }
  return { response_action: 'errors', errors: { [block]: text.slice(0, 500) } };
}

export async function submitLink(deps: Deps, p: ViewPayload): Promise<SubmissionAck> {
  const teamId = teamOf(p);
  const token = valueOf(p.view.state.values, 'token');
  if (!token) return { response_action: 'errors', errors: { token: 'Paste a Rocqet token.' } };
  let box;
  try {
    box = deps.box();
  } catch (err) {
    return failureAsErrors(deps, err, 'token');
  }
  const d = budgeted(deps);
  try {
    const slackUser = await d.usersInfo(teamId, p.user.id);
    if (!slackUser.isAdmin) return { response_action: 'errors', errors: { token: 'Only a Slack workspace admin or owner can link it to Rocqet.' } };
    const admin = libraryClient(d, token);
    const me = await admin.me().catch((err: unknown) => {
      if (err instanceof RocqetError && err.status === 401) throw new UserFacing('Rocqet does not accept this token (unknown, revoked or expired).');
      throw err;
    });
    if (!me.scopes.includes('admin')) {
      return { response_action: 'errors', errors: { token: `This token lacks the admin scope (it has ${me.scopes.join(', ')}); the app needs it to give each member their own token.` } };
    }
    const reader = await admin.createToken({ body: { name: `Slack ${teamId} (read)`, scopes: ['read'] } });
    await saveTeamLink(deps.pool, box, {
      teamId, workspaceId: me.workspaceId, workspaceName: await workspaceName(admin, me.workspaceId),
      adminToken: token, readerToken: reader.secret, readerTokenId: reader.token.id, linkedBySlack: p.user.id, linkedByUser: me.userId,
    });
    deps.log('info', 'slack team linked', { teamId, workspaceId: me.workspaceId });
    return {
      response_action: 'update',
      view: doneView('Linked', `This Slack workspace is linked to Rocqet as *${escapeMrkdwn(me.email)}* (${me.role}). ` +
        'Members are matched to Rocqet members by their verified email. The token is stored encrypted and will not be shown again.'),
    };
  } catch (err) {
    return failureAsErrors(deps, err, 'token');
  }
}

async function workspaceName(admin: ReturnType<typeof libraryClient>, id: string): Promise<string> {
  const ws = await admin.getWorkspace({ params: { workspace: id } }).catch(() => undefined);
  return ws?.name ?? id;
}

async function folderId(client: ReturnType<typeof libraryClient>, path: string): Promise<string | null> {
  const wanted = path.replace(/^\/+|\/+$/g, '');
  if (!wanted) return null;
  const tree = await client.listFolders();
  const found = tree.items.find((f) => f.path === wanted) ?? tree.items.find((f) => f.path.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new UserFacing(`No folder "${wanted}" in Rocqet.`);
  return found.id;
}

export async function submitNew(deps: Deps, p: ViewPayload): Promise<SubmissionAck> {
  const teamId = teamOf(p);
  const values = p.view.state.values;
  const meta = metadata(p.view);
  const title = valueOf(values, 'title');
  const folderPath = valueOf(values, 'folder');
  const message = valueOf(values, 'message');
  const d = budgeted(deps);
  let content = values.text ? (values.text.value?.value ?? '') : undefined;
  if (content === undefined && meta.pending) content = await takePendingText(deps.pool, meta.pending, teamId, p.user.id);
  const errors: Record<string, string> = {};
  if (!title) errors.title = 'A prompt needs a title.';
  if (content === undefined) errors.title = 'The saved message is gone (more than a day passed); use Save as prompt again.';
  else if (!content.trim()) errors[values.text ? 'text' : 'title'] = 'A prompt needs some text.';
  if (Object.keys(errors).length) return { response_action: 'errors', errors };
  try {
    const access = await resolveAccess(d, teamId, p.user.id);
    if (!access.writer) return { response_action: 'errors', errors: { title: `You cannot save prompts from Slack: ${access.whyReadOnly}`.slice(0, 500) } };
    let folder: string | null;
    try {
      folder = await folderId(access.writer, folderPath);
    } catch (err) {
      if (err instanceof UserFacing) return { response_action: 'errors', errors: { folder: err.message } };
      throw err;
    }
    const created = await access.writer.createPrompt({
      body: { title, content: content!, folderId: folder, ...(message ? { message } : {}) },
    });
    if (meta.pending) await dropPendingText(deps.pool, meta.pending);
    await noteUse(deps, teamId, p.user.id, created);
    const url = promptUrl(deps.config.publicUrl, created.path);
    return {
      response_action: 'update',
      view: doneView('Saved', `*${escapeMrkdwn(created.title)}* is saved as \`${escapeMrkdwn(created.path)}\` (commit #${created.commit.seq}).` +
        (url ? ` <${url}|Open it>.` : '')),
    };
  } catch (err) {
    if (err instanceof RocqetError) {
      const block = err.code === 'invalid_front_matter' && values.text ? 'text' : 'title';
      if (err.code === 'already_exists') return { response_action: 'errors', errors: { title: 'A prompt with this title already exists in that folder: choose another title.' } };
      return failureAsErrors(deps, err, block);
    }
    return failureAsErrors(deps, err, 'title');
  }
}

/** Share, Insert or Run after the variables form: render on the backend (it checks the values), then post or run. */
export async function submitVariables(deps: Deps, p: ViewPayload): Promise<SubmissionAck> {
  const teamId = teamOf(p);
  const meta = metadata(p.view);
  const values = p.view.state.values;
  const mode = meta.m === 'insert' || meta.m === 'run' ? meta.m : 'share';
  if (!meta.p || !meta.r) return { response_action: 'errors', errors: { [variableBlockId(0)]: 'This form lost track of its prompt; open it again.' } };
  const d = budgeted(deps);
  try {
    const access = await resolveAccess(d, teamId, p.user.id);
    const prompt = await loadPrompt(access, meta.p, meta.r);
    const declared = declaredVariables(prompt.content);
    const given: Record<string, VariableValue> = {};
    const errors: Record<string, string> = {};
    declared.forEach(([name, spec], i) => {
      const raw = valueOf(values, variableBlockId(i));
      if (!raw) {
        if (spec.required === true || (spec.required === undefined && spec.default === undefined)) errors[variableBlockId(i)] = `${name} is required.`;
        return;
      }
      const numeric = spec.enum?.some((v) => typeof v === 'number') && !Number.isNaN(Number(raw)) ? Number(raw) : undefined;
      given[name] = numeric ?? raw;
    });
    if (Object.keys(errors).length) return { response_action: 'errors', errors };
    let rendered;
    try {
      rendered = await access.reader.render({ params: { prompt: prompt.id }, body: { ref: prompt.commit.id, values: given } });
    } catch (err) {
      if (err instanceof RocqetError && (err.code === 'missing_variables' || err.code === 'invalid_variable_value')) {
        const names = declared.map(([n]) => n);
        const bad = names.findIndex((n) => err.message.includes(n));
        return { response_action: 'errors', errors: { [variableBlockId(Math.max(0, bad))]: err.message.slice(0, 500) } };
      }
      throw err;
    }
    const shown = { ...prompt, ref: meta.ref ?? prompt.ref };
    const reply = replyTo(deps, meta.u);
    if (mode === 'run') {
      const refused = runRefusal(access);
      if (refused) return { response_action: 'errors', errors: { [variableBlockId(0)]: refused.slice(0, 500) } };
      // A run takes as long as the model does: the form closes now, the output follows in the conversation.
      void afterAck(deps, reply, () => runAndReply(deps, access, prompt, shown.ref, given, p.user.id, teamId, reply));
      return { response_action: 'clear' };
    }
    void afterAck(deps, reply, async () => {
      await reply(shareMessage(deps, shown, bodyOf(rendered.text), mode, p.user.id, true));
      await noteUse(deps, teamId, p.user.id, prompt);
    });
    return { response_action: 'clear' };
  } catch (err) {
    return failureAsErrors(deps, err, variableBlockId(0));
  }
}

/** The fields of an interaction payload (block action, message shortcut) that say who acted, where. */
interface InteractionPayload {
  team: { id: string } | null;
  enterprise?: { id: string } | null;
  user: { id: string; team_id?: string };
  trigger_id: string;
  response_url?: string;
  channel?: { id: string };
}

export interface ActionPayload extends InteractionPayload {
  actions: { action_id: string; value?: string }[];
}

function parseValue<T>(raw: string | undefined): T | undefined {
  try {
    return raw ? (JSON.parse(raw) as T) : undefined;
  } catch {
    return undefined;
  }
}

export async function handleAction(deps: Deps, p: ActionPayload): Promise<void> {
  const action = p.actions[0];
  if (!action) return;
  const teamId = teamOf(p);
  const reply = replyTo(deps, p.response_url);
  await afterAck(deps, reply, async () => {
    switch (action.action_id) {
      case 'rocqet_search_more': {
        const v = parseValue<{ q: string; c: string; n: number }>(action.value);
        if (!v || typeof v.q !== 'string' || typeof v.c !== 'string') throw new UserFacing('This button is out of date; search again.');
        return search(deps, { team_id: teamId, user_id: p.user.id }, v.q, reply, Number(v.n) || 1, v.c, true);
      }
      case 'rocqet_share':
      case 'rocqet_insert': {
        const v = parseValue<{ p: string; r?: string }>(action.value);
        if (!v || typeof v.p !== 'string') throw new UserFacing('This button is out of date; search again.');
        const mode = action.action_id === 'rocqet_share' ? 'share' : 'insert';
        const bot = await deps.bot(teamId, p.enterprise?.id);
        let loaded: Awaited<ReturnType<typeof loadPrompt>> | undefined;
        const opened = await openModalFor(
          deps, bot, p.trigger_id, mode === 'share' ? 'Share prompt' : 'Insert prompt',
          async () => (loaded = await withAccess(deps, teamId, p.user.id, (a) => loadPrompt(a, v.p, v.r))),
          (prompt) => shareModal(prompt, { mode, responseUrl: p.response_url, channelId: p.channel?.id }),
        );
        if (opened === 'none' && loaded) {
          await reply(shareMessage(deps, loaded, bodyOf(loaded.content), mode, p.user.id, false));
          await noteUse(deps, teamId, p.user.id, loaded);
        }
        return;
      }
      case 'rocqet_run': {
        const v = parseValue<{ p: string; r?: string }>(action.value);
        if (!v || typeof v.p !== 'string') throw new UserFacing('This button is out of date; search again.');
        const bot = await deps.bot(teamId, p.enterprise?.id);
        let loaded: { access: Access; prompt: Loaded } | undefined;
        let refused: string | undefined;
        const opened = await openModalFor(
          deps, bot, p.trigger_id, 'Run prompt',
          async () => (loaded = await withAccess(deps, teamId, p.user.id, async (a) => ({ access: a, prompt: await loadPrompt(a, v.p, v.r) }))),
          ({ access, prompt }) => {
            refused = runRefusal(access);
            return refused ? undefined : shareModal(prompt, { mode: 'run', responseUrl: p.response_url, channelId: p.channel?.id });
          },
        );
        if (refused) throw new UserFacing(refused);
        if (opened === 'none' && loaded) await runAndReply(deps, loaded.access, loaded.prompt, v.r ?? loaded.prompt.ref, {}, p.user.id, teamId, reply);
        return;
      }
      default:
        // URL buttons (Open in Rocqet, Open in VS Code) send an action too: the ack is all they need.
        return;
    }
  });
}

export interface ShortcutPayload extends InteractionPayload {
  message?: { text?: string };
}

/** Slack's message text escapes &, < and >; a prompt holds the characters themselves. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export async function saveAsPrompt(deps: Deps, p: ShortcutPayload): Promise<void> {
  const teamId = teamOf(p);
  const reply = replyTo(deps, p.response_url);
  await afterAck(deps, reply, async () => {
    const text = unescapeSlack(p.message?.text ?? '');
    const bot = await deps.bot(teamId, p.enterprise?.id);
    let refused: string | undefined;
    await openModalFor(deps, bot, p.trigger_id, 'New prompt', async () => {
      const access = await resolveAccess(deps, teamId, p.user.id);
      const pending = access.writer && text.length > LIMITS.inputMaxLength ? await savePendingText(deps.pool, teamId, p.user.id, text) : undefined;
      return { access, pending };
    }, ({ access, pending }) => {
      if (!access.writer) {
        refused = access.whyReadOnly;
        return undefined;
      }
      const firstLine = text.split('\n').find((l) => l.trim())?.trim() ?? '';
      const title = firstLine.replace(/[*_~`>#]/g, '').slice(0, 80);
      return newPromptModal(
        pending ? { title, pendingId: pending, pendingLength: text.length } : { title, text },
        { u: p.response_url, ch: p.channel?.id, ...(pending ? { pending } : {}) },
      );
    });
    if (refused) {
      if (p.response_url) await reply({ text: `You cannot save prompts from Slack: ${refused}` });
      else {
        // A message shortcut has no response_url: the refusal goes to the user's DM with the app.
        await bot.client.chat.postMessage({ token: bot.token, channel: p.user.id, text: `You cannot save prompts from Slack: ${refused}` });
      }
    }
  });
}

export { NotLinkedError, NoSecretKeyError };

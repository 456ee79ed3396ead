import type { Client } from '@rocqet/sdk';
import { SEARCH_PAGE, searchResults } from '../blocks/cards.js';
import { escapeMrkdwn, section } from '../blocks/limits.js';
import { linkModal, newPromptModal } from '../blocks/modals.js';
import { libraryClient, resolveAccess } from '../access.js';
import { addSubscription, listSubscriptions, removeSubscriptions } from '../store/subscriptions.js';
import { splitPathRef } from '../urls.js';
import { afterAck, openModalFor, replyTo, UserFacing, withAccess, type Deps, type Reply } from './context.js';
import { bodyOf, loadPrompt, noteUse, shareMessage, shareModal } from './prompts.js';

export interface SlashCommand {
  team_id: string;
  enterprise_id?: string;
  user_id: string;
  channel_id: string;
  text: string;
  response_url: string;
  trigger_id: string;
}

export function helpText(command: string): string {
  return [
    `*Rocqet in Slack* — the team's prompt library`,
    `\`${command} search <words>\` find prompts (only you see the results)`,
    `\`${command} share <path>[@ref]\` post a prompt to this channel (its variables asked first)`,
    `\`${command} new\` save a new prompt · message menu → *Save as prompt*`,
    `\`${command} subscribe <folder>\` post this folder's commits, merges and tags here · \`${command} unsubscribe [folder]\``,
    `\`${command} link\` (Slack admins) link this Slack workspace to a Rocqet workspace`,
  ].join('\n');
}

/** Everything after the ack: Slack has its 200 within milliseconds, the answer comes through response_url. */
export async function handleCommand(deps: Deps, cmd: SlashCommand): Promise<void> {
  const reply = replyTo(deps, cmd.response_url);
  const text = (cmd.text ?? '').trim();
  const [word = '', ...rest] = text.split(/\s+/);
  const arg = rest.join(' ').trim();
  const sub = word.toLowerCase();
  await afterAck(deps, reply, async () => {
    switch (sub) {
      case '':
      case 'help':
        return reply({ text: helpText(deps.config.command) });
      case 'search':
        return search(deps, cmd, arg, reply);
      case 'share':
        return share(deps, cmd, arg, reply);
      case 'new':
        return newPrompt(deps, cmd, reply);
      case 'link':
        return link(deps, cmd);
      case 'subscribe':
        return subscribe(deps, cmd, arg, reply);
      case 'unsubscribe':
        return unsubscribe(deps, cmd, arg, reply);
      default:
        return reply({
          text: `\`${deps.config.command} ${escapeMrkdwn(word.slice(0, 50))}\` is not a Rocqet command.\n\n${helpText(deps.config.command)}`,
        });
    }
  });
}

export async function search(deps: Deps, who: { team_id: string; user_id: string }, q: string, reply: Reply, page = 0, cursor?: string, replace = false) {
  if (!q) throw new UserFacing(`Say what to look for: \`${deps.config.command} search onboarding email\`.`);
  if (q.length > 500) throw new UserFacing('A search is at most 500 characters.');
  const res = await withAccess(deps, who.team_id, who.user_id, (a) =>
    a.reader.search({ query: { q, limit: SEARCH_PAGE, ...(cursor ? { cursor } : {}) } }),
  );
  await reply({
    text: `${res.total} results for ${q}`,
    blocks: searchResults(q, res, page, deps.config.publicUrl),
    response_type: 'ephemeral',
    ...(replace ? { replace_original: true } : {}),
  });
}

async function share(deps: Deps, cmd: SlashCommand, arg: string, reply: Reply) {
  if (!arg) throw new UserFacing(`Name the prompt: \`${deps.config.command} share team/support/refund-reply\` (add \`@production\` for a ref).`);
  const bot = await deps.bot(cmd.team_id, cmd.enterprise_id);
  const access = await resolveAccess(deps, cmd.team_id, cmd.user_id);
  const { path, ref } = splitPathRef(arg);
  const load = async () => {
    try {
      return await loadPrompt(access, path, ref);
    } catch (err) {
      // "a/b@c" where the "@" belongs to a folder name: the whole text is the path.
      if (ref && err instanceof UserFacing) return loadPrompt(access, arg, undefined).catch(() => Promise.reject(err));
      throw err;
    }
  };
  let loaded: Awaited<ReturnType<typeof load>> | undefined;
  const opened = await openModalFor(deps, bot, cmd.trigger_id, 'Share prompt', async () => (loaded = await load()), (p) =>
    shareModal(p, { mode: 'share', responseUrl: cmd.response_url, channelId: cmd.channel_id }),
  );
  if (opened === 'none' && loaded) {
    await reply(shareMessage(deps, loaded, bodyOf(loaded.content), 'share', cmd.user_id, false));
    await noteUse(deps, cmd.team_id, cmd.user_id, loaded);
  }
}

async function newPrompt(deps: Deps, cmd: SlashCommand, reply: Reply) {
  const bot = await deps.bot(cmd.team_id, cmd.enterprise_id);
  let refused: string | undefined;
  await openModalFor(deps, bot, cmd.trigger_id, 'New prompt', () => resolveAccess(deps, cmd.team_id, cmd.user_id), (access) => {
    if (!access.writer) {
      refused = access.whyReadOnly;
      return undefined;
    }
    return newPromptModal({}, { u: cmd.response_url, ch: cmd.channel_id });
  });
  if (refused) await reply({ text: `You cannot save prompts from Slack: ${refused}` });
}

async function link(deps: Deps, cmd: SlashCommand) {
  const bot = await deps.bot(cmd.team_id, cmd.enterprise_id);
  // Opened at once: whether this user may link is checked on submission, where a refusal can be shown in the form.
  await bot.client.views.open({ token: bot.token, trigger_id: cmd.trigger_id, view: linkModal({ u: cmd.response_url, c: cmd.channel_id }) as never });
}

async function folderByPath(client: Client, path: string) {
  const wanted = path.replace(/^\/+|\/+$/g, '');
  if (!wanted) return { id: null, path: '/' };
  const tree = await client.listFolders();
  const found = tree.items.find((f) => f.path === wanted || f.path.toLowerCase() === wanted.toLowerCase());
  if (!found) throw new UserFacing(`No folder \`${escapeMrkdwn(wanted)}\` in Rocqet. Folder paths look like \`team/support\`; \`/\` is the whole library.`);
  return { id: found.id, path: found.path };
}

async function subscribe(deps: Deps, cmd: SlashCommand, arg: string, reply: Reply) {
  if (!arg) throw new UserFacing(`Name the folder: \`${deps.config.command} subscribe team/support\` (\`/\` for the whole library).`);
  const access = await resolveAccess(deps, cmd.team_id, cmd.user_id);
  if (!access.user.memberId) throw new UserFacing(`Only Rocqet members can subscribe a channel. ${access.whyReadOnly}`);
  const folder = await folderByPath(access.reader, arg);
  // Start after the newest event: the channel hears what happens from now on, across restarts of the app.
  const reader = libraryClient(deps, access.link.readerToken);
  const newest = await reader.listAudit({ query: { limit: 1 } }).catch(() => undefined);
  const cursor = newest?.items[0]?.id ?? null;
  const added = await addSubscription(deps.pool, {
    teamId: cmd.team_id, channelId: cmd.channel_id, workspaceId: access.link.workspaceId, folderId: folder.id,
    folderPath: folder.path, cursor, createdBy: cmd.user_id,
  });
  if (!added) return reply({ text: `This channel already follows \`${escapeMrkdwn(folder.path)}\`.` });
  const bot = await deps.bot(cmd.team_id, cmd.enterprise_id);
  try {
    await bot.client.chat.postMessage({
      token: bot.token,
      channel: cmd.channel_id,
      text: `This channel now follows ${folder.path} in Rocqet`,
      blocks: [section(`<@${cmd.user_id}> subscribed this channel to \`${escapeMrkdwn(folder.path)}\`: its commits, merges and tags will be posted here.`)],
    });
  } catch (err) {
    await removeSubscriptions(deps.pool, cmd.team_id, cmd.channel_id, folder.id);
    const code = (err as { data?: { error?: string } }).data?.error;
    if (code === 'not_in_channel' || code === 'channel_not_found') {
      throw new UserFacing('The Rocqet app cannot post in this channel: invite it first (`/invite @Rocqet`), then subscribe again.');
    }
    throw err;
  }
  deps.subscriptionsChanged();
}

async function unsubscribe(deps: Deps, cmd: SlashCommand, arg: string, reply: Reply) {
  let removed: string[];
  if (arg) {
    const access = await resolveAccess(deps, cmd.team_id, cmd.user_id);
    const folder = await folderByPath(access.reader, arg);
    removed = await removeSubscriptions(deps.pool, cmd.team_id, cmd.channel_id, folder.id);
  } else {
    removed = await removeSubscriptions(deps.pool, cmd.team_id, cmd.channel_id);
  }
  deps.subscriptionsChanged();
  if (!removed.length) {
    const left = await listSubscriptions(deps.pool, { teamId: cmd.team_id, channelId: cmd.channel_id });
    return reply({ text: left.length ? `This channel does not follow that folder; it follows ${left.map((s) => `\`${s.folderPath}\``).join(', ')}.` : 'This channel follows no Rocqet folder.' });
  }
  return reply({ text: `This channel no longer follows ${removed.map((p) => `\`${escapeMrkdwn(p)}\``).join(', ')}.`, response_type: 'in_channel' });
}

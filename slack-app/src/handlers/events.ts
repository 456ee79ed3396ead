import { escapeMrkdwn, context, header, section, codeSections, button, type Block, LIMITS } from '../blocks/limits.js';
import { NotLinkedError, resolveAccess, libraryClient } from '../access.js';
import { recentPrompts } from '../store/events.js';
import { parsePromptUrl, promptUrl, vscodeUrl } from '../urls.js';
import { explain, type Deps } from './context.js';
import { bodyOf, loadPrompt } from './prompts.js';

const HOME_LIST = 5;

function line(deps: Deps, p: { path: string; title: string }): string {
  const url = promptUrl(deps.config.publicUrl, p.path);
  return `• ${url ? `<${url}|${escapeMrkdwn(p.title)}>` : `*${escapeMrkdwn(p.title)}*`}  \`${escapeMrkdwn(p.path)}\``;
}

/** App Home: the user's recent prompts, the workspace's most used and most recently changed, via views.publish. */
export async function publishHome(deps: Deps, teamId: string, userId: string, enterpriseId?: string): Promise<void> {
  const bot = await deps.bot(teamId, enterpriseId);
  let blocks: Block[];
  try {
    const access = await resolveAccess(deps, teamId, userId);
    const [recent, top, changed] = await Promise.all([
      recentPrompts(deps.pool, teamId, userId, HOME_LIST),
      access.reader.topPrompts({ query: { limit: HOME_LIST } }),
      recentlyChanged(deps, access.link.readerToken),
    ]);
    const list = (items: { path: string; title: string }[], empty: string) =>
      section(items.length ? items.map((p) => line(deps, p)).join('\n') : empty);
    blocks = [
      header('Rocqet'),
      context([`Linked to *${escapeMrkdwn(access.link.workspaceName)}*` +
        (access.user.memberId ? ` · you are ${escapeMrkdwn(access.user.email ?? '')} (${access.user.role})` : ' · you read only') +
        ` · \`${deps.config.command} help\``]),
      { type: 'divider' },
      section('*Your recent prompts*'),
      list(recent, `Nothing yet: \`${deps.config.command} search\` and share one.`),
      section('*Most used*'),
      list(top.items, 'No prompt has been used yet.'),
      section('*Recently changed*'),
      list(changed, 'No changes yet.'),
    ];
    if (access.whyReadOnly && !access.writer) blocks.push(context([escapeMrkdwn(access.whyReadOnly)]));
  } catch (err) {
    blocks = [header('Rocqet'), section(err instanceof NotLinkedError ? err.message : explain(deps, err))];
  }
  await bot.client.views.publish({ token: bot.token, user_id: userId, view: { type: 'home', blocks: blocks.slice(0, LIMITS.blocksPerView) } as never });
}

/** The prompts whose history moved last, from the audit log (the read-only token acts as the admin who linked). */
async function recentlyChanged(deps: Deps, readerToken: string) {
  const client = libraryClient(deps, readerToken);
  const seen = new Map<string, { path: string; title: string }>();
  try {
    const entries = await client.listAudit({ query: { action: 'prompt.', limit: 50 } });
    for (const e of entries.items) {
      if (seen.size >= HOME_LIST || e.resourceType !== 'prompt' || seen.has(e.resourceId)) continue;
      if (!['prompt.commit', 'prompt.create', 'prompt.merge', 'prompt.revert'].includes(e.action)) continue;
      const p = await client.getPrompt({ params: { prompt: e.resourceId } }).catch(() => undefined);
      if (p && !p.deletedAt) seen.set(e.resourceId, { path: p.path, title: p.title });
    }
  } catch (err) {
    deps.log('warn', 'home: recent changes unavailable', { err: String(err) });
  }
  return [...seen.values()];
}

export interface LinkShared {
  channel: string;
  message_ts: string;
  user: string;
  unfurl_id?: string;
  source?: string;
  links: { domain: string; url: string }[];
}

/** Rocqet prompt URLs posted in a channel become cards (chat.unfurl), read as the user who posted them. */
export async function unfurl(deps: Deps, teamId: string, event: LinkShared, enterpriseId?: string): Promise<void> {
  const ours = event.links
    .map((l) => ({ url: l.url, target: parsePromptUrl(deps.config.publicUrl, l.url) }))
    .filter((l): l is { url: string; target: { path: string; ref: string | undefined } } => Boolean(l.target));
  if (!ours.length) return;
  const access = await resolveAccess(deps, teamId, event.user);
  const unfurls: Record<string, { blocks: Block[] }> = {};
  for (const link of ours.slice(0, 5)) {
    try {
      const p = await loadPrompt(access, link.target.path, link.target.ref);
      unfurls[link.url] = {
        blocks: [
          section(`*${escapeMrkdwn(p.title)}*  \`${escapeMrkdwn(p.path)}\` @ \`${escapeMrkdwn(p.ref)}\`` + (p.description ? `\n${escapeMrkdwn(p.description)}` : '')),
          ...codeSections(bodyOf(p.content), 1, link.url),
          { type: 'actions', elements: [button('Open in VS Code', 'rocqet_vscode', { url: vscodeUrl(p.path, link.target.ref) })] },
        ],
      };
    } catch (err) {
      deps.log('info', 'unfurl skipped', { url: link.url, why: explain(deps, err) });
    }
  }
  if (!Object.keys(unfurls).length) return;
  const bot = await deps.bot(teamId, enterpriseId);
  const where = event.unfurl_id && event.source ? { unfurl_id: event.unfurl_id, source: event.source } : { channel: event.channel, ts: event.message_ts };
  await bot.client.chat.unfurl({ token: bot.token, ...where, unfurls } as never);
}

import type { FeedEvent, SearchResponse } from '@rocqet/sdk';
import { promptUrl, vscodeUrl } from '../urls.js';
import { button, codeSections, context, escapeMrkdwn, header, LIMITS, section, snippetToMrkdwn, type Block } from './limits.js';

export interface CardPrompt {
  id: string;
  path: string;
  title: string;
  description: string;
  tags: string[];
  ref: string;
  commitSeq?: number;
}

/** The value Share, Insert and Run buttons carry: the prompt and the ref to use. */
export function promptValue(p: { id: string; ref?: string | undefined }): string {
  return JSON.stringify({ p: p.id, ...(p.ref ? { r: p.ref } : {}) });
}

/**
 * A prompt posted to a channel: title, where it lives, and its text in as many sections as fit in one message,
 * cut with a link to the whole when longer.
 */
export function promptCard(prompt: CardPrompt, text: string, opts: { publicUrl: string | undefined; sharedBy?: string; rendered?: boolean }): Block[] {
  const url = promptUrl(opts.publicUrl, prompt.path, prompt.ref);
  const blocks: Block[] = [header(prompt.title)];
  const about = [`\`${escapeMrkdwn(prompt.path)}\` @ \`${escapeMrkdwn(prompt.ref)}\``];
  if (prompt.description) about.push(escapeMrkdwn(prompt.description));
  blocks.push(section(about.join('\n')));
  // Header, about, the context and the actions leave 46 blocks; four sections (12,000 characters) keep it readable.
  blocks.push(...codeSections(text, 4, url));
  const facts: string[] = [];
  if (prompt.tags.length) facts.push(prompt.tags.map((t) => `\`${escapeMrkdwn(t)}\``).join(' '));
  if (opts.rendered) facts.push('rendered with the values given');
  if (opts.sharedBy) facts.push(`shared by <@${opts.sharedBy}>`);
  if (facts.length) blocks.push(context(facts));
  const actions: Block[] = [];
  if (url) actions.push(button('Open in Rocqet', 'rocqet_open', { url }));
  actions.push(button('Open in VS Code', 'rocqet_vscode', { url: vscodeUrl(prompt.path, prompt.ref) }));
  actions.push(button('Run', 'rocqet_run', { value: promptValue({ id: prompt.id, ref: prompt.ref }) }));
  blocks.push({ type: 'actions', elements: actions });
  return blocks;
}

export const SEARCH_PAGE = 5;

/** The cursor and query a "More results" button carries (a button value holds at most 2,000 characters). */
export function pageValue(q: string, cursor: string, page: number): string | undefined {
  const value = JSON.stringify({ q, c: cursor, n: page });
  return value.length <= LIMITS.buttonValue ? value : undefined;
}

/** Ephemeral search results: per hit its title, path, snippet and tags, with Share, Insert, Run and Open in VS Code. */
export function searchResults(q: string, res: SearchResponse, page: number, publicUrl: string | undefined): Block[] {
  if (!res.items.length) {
    return [section(page ? `No more results for *${escapeMrkdwn(q)}*.` : `Nothing found for *${escapeMrkdwn(q)}*. Try other words, or \`/rocqet new\` to add it.`)];
  }
  const blocks: Block[] = [
    section(`*${res.total.toLocaleString('en')}* result${res.total === 1 ? '' : 's'} for *${escapeMrkdwn(q)}*` +
      (page ? ` (page ${page + 1})` : '')),
  ];
  for (const hit of res.items) {
    const url = promptUrl(publicUrl, hit.path);
    const title = url ? `<${url}|${escapeMrkdwn(hit.title)}>` : `*${escapeMrkdwn(hit.title)}*`;
    const snippet = snippetToMrkdwn(hit.snippet) || escapeMrkdwn(hit.description);
    blocks.push({ type: 'divider' });
    blocks.push(section(`${title}\n\`${escapeMrkdwn(hit.path)}\`\n${snippet}`));
    if (hit.tags.length) blocks.push(context([hit.tags.map((t) => `\`${escapeMrkdwn(t)}\``).join(' ')]));
    const value = promptValue({ id: hit.id });
    blocks.push({
      type: 'actions',
      block_id: `hit:${hit.id}`,
      elements: [
        button('Share', 'rocqet_share', { value, style: 'primary' }),
        button('Insert', 'rocqet_insert', { value }),
        button('Run', 'rocqet_run', { value }),
        button('Open in VS Code', 'rocqet_vscode', { url: vscodeUrl(hit.path) }),
      ],
    });
  }
  const more = res.nextCursor ? pageValue(q, res.nextCursor, page + 1) : undefined;
  if (more) blocks.push({ type: 'actions', block_id: 'pages', elements: [button('More results', 'rocqet_search_more', { value: more })] });
  return blocks;
}

const ACTION_WORDS: Record<string, string> = {
  'prompt.create': 'created',
  'prompt.commit': 'committed to',
  'prompt.merge': 'merged into',
  'prompt.revert': 'reverted',
  'tag.create': 'tagged',
  'tag.move': 'moved a tag on',
};

/** A feed event as a channel notification. */
export function feedEventBlocks(event: FeedEvent, publicUrl: string | undefined): { text: string; blocks: Block[] } {
  const path = event.subject.path ?? event.resourceId ?? 'a prompt';
  const ref = event.subject.tag ?? event.subject.branch ?? undefined;
  const url = event.subject.path ? promptUrl(publicUrl, event.subject.path, ref ?? undefined) : undefined;
  const who = event.actor.email ?? 'Someone';
  const what = ACTION_WORDS[event.action] ?? event.action;
  const target = url ? `<${url}|${escapeMrkdwn(path)}>` : `\`${escapeMrkdwn(path)}\``;
  const on = event.subject.tag ? ` as \`${escapeMrkdwn(event.subject.tag)}\`` : event.subject.branch ? ` on \`${escapeMrkdwn(event.subject.branch)}\`` : '';
  const message = commitMessage(event);
  const line = `*${escapeMrkdwn(who)}* ${what} ${target}${on}`;
  const blocks: Block[] = [section(line + (message ? `\n> ${escapeMrkdwn(message).replace(/\n/g, '\n> ')}` : ''))];
  blocks.push(context([`Rocqet · ${event.action} · event ${event.id}`]));
  return { text: `${who} ${what} ${path}${on.replace(/`/g, '')}`, blocks };
}

function commitMessage(event: FeedEvent): string | undefined {
  const after = (event.changes as { after?: { message?: unknown } } | null)?.after;
  const m = after && typeof after.message === 'string' ? after.message : undefined;
  return m ? m.slice(0, 500) : undefined;
}

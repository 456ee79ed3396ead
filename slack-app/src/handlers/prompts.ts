import { parsePrompt, RocqetError, type Client, type VariableSpec } from '@rocqet/sdk';
import { promptCard } from '../blocks/cards.js';
import { codeSections, context, escapeMrkdwn, LIMITS, type Block } from '../blocks/limits.js';
import { variablesModal, type View } from '../blocks/modals.js';
import { notePromptUse } from '../store/events.js';
import type { Access } from '../access.js';
import { UserFacing, type Deps } from './context.js';

export type Loaded = Awaited<ReturnType<Client['getPrompt']>>;

/** A prompt at a ref, said plainly when it is not there (or not readable by this member: the API does not tell). */
export async function loadPrompt(access: Access, prompt: string, ref: string | undefined): Promise<Loaded> {
  try {
    return await access.reader.getPrompt({ params: { prompt }, query: ref ? { ref } : {} });
  } catch (err) {
    if (err instanceof RocqetError && err.code === 'ref_not_found') {
      throw new UserFacing(`\`${escapeMrkdwn(prompt)}\` has no branch, tag or commit \`${escapeMrkdwn(ref ?? '')}\`.`);
    }
    if (err instanceof RocqetError && (err.code === 'not_found' || err.code === 'validation_failed')) {
      throw new UserFacing(`No prompt \`${escapeMrkdwn(prompt)}\` in "${escapeMrkdwn(access.link.workspaceName)}" that you can read. Try \`/rocqet search\`.`);
    }
    throw err;
  }
}

export function declaredVariables(content: string): [string, VariableSpec][] {
  try {
    return Object.entries(parsePrompt(content).frontMatter.variables);
  } catch {
    return [];
  }
}

/** The text to show: the body without its front matter. */
export function bodyOf(content: string): string {
  try {
    return parsePrompt(content).body;
  } catch {
    return content;
  }
}

export interface ShareTarget {
  mode: 'share' | 'insert' | 'run';
  responseUrl: string | undefined;
  channelId: string | undefined;
}

/** Room for variable inputs in a modal after its introduction section. */
const MAX_VARIABLES = LIMITS.blocksPerView - 1;

export function shareModal(prompt: Loaded, target: ShareTarget): View | undefined {
  const variables = declaredVariables(prompt.content);
  if (!variables.length) return undefined;
  if (variables.length > MAX_VARIABLES) {
    throw new UserFacing(`This prompt declares ${variables.length} variables; a Slack form holds ${MAX_VARIABLES}. Render it in VS Code or over the API.`);
  }
  return variablesModal(prompt, variables, { m: target.mode, p: prompt.id, r: prompt.commit.id, ref: prompt.ref, u: target.responseUrl, ch: target.channelId }, target.mode);
}

/** The message Share or Insert posts to the channel. */
export function shareMessage(deps: Deps, prompt: Loaded, text: string, mode: 'share' | 'insert', userId: string, rendered: boolean) {
  const card = { id: prompt.id, path: prompt.path, title: prompt.title, description: prompt.description, tags: prompt.tags, ref: prompt.ref };
  let blocks: Block[];
  if (mode === 'share') {
    blocks = promptCard(card, text, { publicUrl: deps.config.publicUrl, sharedBy: userId, rendered });
  } else {
    blocks = [...codeSections(text, 10, undefined), context([`from \`${escapeMrkdwn(prompt.path)}\` @ \`${escapeMrkdwn(prompt.ref)}\`, inserted by <@${userId}>`])];
  }
  return { response_type: 'in_channel' as const, replace_original: false, text: `${prompt.title} (${prompt.path})`, blocks };
}

export async function noteUse(deps: Deps, teamId: string, userId: string, prompt: { id: string; path: string; title: string }) {
  await notePromptUse(deps.pool, teamId, userId, prompt).catch((err: unknown) => deps.log('warn', 'recent prompt not noted', { err: String(err) }));
}

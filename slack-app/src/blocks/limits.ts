/** Block Kit's documented limits (api.slack.com/reference/block-kit): Slack refuses a payload past any of them. */
export const LIMITS = {
  sectionText: 3000,
  headerText: 150,
  blocksPerMessage: 50,
  blocksPerView: 100,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  buttonText: 75,
  buttonValue: 2000,
  optionText: 75,
  optionValue: 150,
  optionsPerSelect: 100,
  inputMaxLength: 3000,
  inputLabel: 2000,
  contextElements: 10,
  messageText: 40000,
  blockId: 255,
} as const;

export type Block = { type: string; [key: string]: unknown };

/** Slack's three control characters in mrkdwn and plain message text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cut to `max` characters (UTF-16 units, Slack's count) without splitting a surrogate pair, ending with "…". */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end) + '…';
}

export const plain = (text: string, max: number = LIMITS.sectionText) => ({ type: 'plain_text', text: cut(text || ' ', max), emoji: true });
export const mrkdwn = (text: string, max: number = LIMITS.sectionText) => ({ type: 'mrkdwn', text: cut(text || ' ', max) });

export function section(text: string, extra: Record<string, unknown> = {}): Block {
  return { ...extra, type: 'section', text: mrkdwn(text) };
}

export function header(text: string): Block {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function context(texts: string[]): Block {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((t) => mrkdwn(t)) };
}

export function button(text: string, actionId: string, opts: { value?: string; url?: string; style?: 'primary' | 'danger' } = {}): Block {
  if (opts.value && opts.value.length > LIMITS.buttonValue) throw new Error(`button value over ${LIMITS.buttonValue} characters`);
  return {
    type: 'button',
    text: plain(text, LIMITS.buttonText),
    action_id: actionId,
    ...(opts.value !== undefined ? { value: opts.value } : {}),
    ...(opts.url ? { url: opts.url } : {}),
    ...(opts.style ? { style: opts.style } : {}),
  };
}

/**
 * A long text in code-block sections: as many whole sections as `maxSections` allows, then a link to the rest.
 * Backticks inside cannot end the block early: a zero-width space breaks runs of three.
 */
export function codeSections(text: string, maxSections: number, moreUrl: string | undefined): Block[] {
  const safe = escapeMrkdwn(text.replace(/```/g, '`\u200b``'));
  const room = LIMITS.sectionText - 8; // the fences and newlines
  const blocks: Block[] = [];
  let rest = safe;
  while (rest.length && blocks.length < maxSections) {
    let piece = rest.slice(0, room);
    // Never split an escape (&amp;) or a surrogate pair between two sections.
    const amp = piece.lastIndexOf('&');
    if (rest.length > room && amp > room - 6) piece = piece.slice(0, amp);
    const last = piece.charCodeAt(piece.length - 1);
    if (rest.length > piece.length && last >= 0xd800 && last <= 0xdbff) piece = piece.slice(0, -1);
    blocks.push(section('```' + piece + '```'));
    rest = rest.slice(piece.length);
  }
  if (rest.length) {
    const shown = text.length - unescapedLength(rest);
    blocks.push(context([
      moreUrl
        ? `Cut after ${shown.toLocaleString('en')} of ${text.length.toLocaleString('en')} characters: <${moreUrl}|see the whole prompt>`
        : `Cut after ${shown.toLocaleString('en')} of ${text.length.toLocaleString('en')} characters.`,
    ]));
  }
  return blocks;
}

function unescapedLength(escaped: string): number {
  return escaped.replace(/&amp;|&lt;|&gt;/g, '.').replace(/`\u200b``/g, '```').length;
}

/** The search API's snippet is HTML-escaped with <mark> around matches: Slack's escaping plus *bold* matches. */
export function snippetToMrkdwn(snippet: string): string {
  return snippet
    .replace(/<mark>/g, '*')
    .replace(/<\/mark>/g, '*')
    .replace(/&quot;/g, '"')
    .replace(/&#0?39;|&apos;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}

/** Checks a message's or a view's blocks against the limits this module knows; used before every send. */
export function checkBlocks(blocks: Block[], where: 'message' | 'view'): void {
  const max = where === 'message' ? LIMITS.blocksPerMessage : LIMITS.blocksPerView;
  if (blocks.length > max) throw new Error(`${blocks.length} blocks in a ${where} (at most ${max})`);
  for (const b of blocks) {
    const text = (b.text as { text?: string } | undefined)?.text;
    if (b.type === 'section' && text && text.length > LIMITS.sectionText) throw new Error('a section over 3,000 characters');
  }
}

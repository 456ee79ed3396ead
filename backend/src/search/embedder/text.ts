/** The local model gains nothing past ~500 characters (measured: same recall at 500 and 1,000). */
export const EMBEDDING_TEXT_MAX_CHARS = 1000;

/**
 * Cuts `text` to at most `maxChars`, preferring the last word boundary in the final fifth so a half word does
 * not become a stray token, and never splitting a surrogate pair.
 */
export function truncateText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let cut = text.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  if (space >= maxChars * 0.8) cut = cut.slice(0, space);
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

/** Runs of whitespace carry no meaning but cost tokens (the USE tokenizer emits one per space). */
export function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The text a prompt is embedded from: "Title. description body", whitespace collapsed and truncated. The output
 * is what gets hashed for the vector cache, so edits beyond the cut do not trigger a re-embed. Tags are left
 * out on purpose: they are short, drift in wording, and full-text search already weights them.
 */
export function embeddingText(
  p: { title: string; description?: string; tags?: string[]; body: string },
  maxChars: number = EMBEDDING_TEXT_MAX_CHARS,
): string {
  const title = collapseWhitespace(p.title);
  // "Title. text" is what the offline measurements used; don't double up a title's own punctuation.
  const head = title === '' || /[.!?:;]$/.test(title) ? title : `${title}.`;
  const parts = [head, p.description ?? '', p.body].map(collapseWhitespace).filter((s) => s !== '');
  return truncateText(parts.join(' '), maxChars);
}

/**
 * The query as PostgreSQL's websearch_to_tsquery should read it: the web-search syntax people write (words,
 * "quoted phrases", -excluded, or) and nothing else.
 *
 * That parser keeps the operators it has read on a fixed stack of 32 and skips any character that is not a word, so
 * a run of hyphens with anything between them ("---…", "- - -", "-!-!", "a-!-!-b", hyphens between ideographic
 * spaces) piled up NOT operators until it failed with "tsquery stack too small" (a 500). Rebuilding the text from
 * tokens this module recognises bounds what the parser can see: every operand is a word or a phrase of words,
 * preceded by at most one minus, so any text gets an answer.
 */

/** A word: letters, marks and digits, with inner joiners kept (well-known, gpt-4, v1.2, a@b.c) as the parser reads them. */
const WORD = String.raw`[\p{L}\p{M}\p{N}]+(?:[-.@_'’/+][\p{L}\p{M}\p{N}]+)*`;
const TOKEN = new RegExp(String.raw`"([^"]*)"?|${WORD}`, 'gu');
const PHRASE_WORD = /[\p{L}\p{M}\p{N}]+/gu;

export function webSearchText(q: string): string {
  const out: string[] = [];
  for (const m of q.matchAll(TOKEN)) {
    const at = m.index;
    // A minus negates only where the syntax has one: right before the operand, at the start or after a space.
    const negated = at > 0 && q[at - 1] === '-' && (at === 1 || /\s/u.test(q[at - 2] ?? ''));
    const phrase = m[1];
    let operand: string;
    if (phrase === undefined) operand = m[0];
    else {
      const words = phrase.match(PHRASE_WORD);
      if (!words) continue;
      operand = `"${words.join(' ')}"`;
    }
    out.push(negated ? `-${operand}` : operand);
  }
  return out.join(' ');
}

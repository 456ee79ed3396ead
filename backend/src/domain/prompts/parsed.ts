import { parsePrompt, type ParsedPrompt } from '@rocqet/sdk';
import { Lru } from '../../util/lru.js';

/**
 * Parsed prompts by commit id. A commit's text never changes, so its parse never goes stale; the YAML front matter's
 * parse is most of a run's own CPU before the provider call (measured with `npm run bench -- runs`). Bounded, least
 * recently used dropped first. Callers must not mutate what they get.
 */
const parsed = new Lru<string, Readonly<ParsedPrompt>>(500);

export function parseCommitText(commitId: string, text: string): Readonly<ParsedPrompt> {
  return parsed.get(commitId, () => parsePrompt(text));
}

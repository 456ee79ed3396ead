import { parsePrompt, VARIABLE_NAME } from '@rocqet/sdk';
import { stringify } from 'yaml';
import { slugOf } from './uri.js';

/**
 * A library prompt as a VS Code prompt file (`.github/prompts/<slug>.prompt.md`): front matter with `description`,
 * `name` and `argument-hint` (VS Code's keys; Rocqet's own keys are not ones VS Code reads), and `{{name}}`
 * placeholders as `${input:name}` / `${input:name:placeholder}` variables, which VS Code asks for when it runs the file.
 */
export function copilotPromptFile(prompt: { path: string; title: string; description: string }, text: string): { fileName: string; content: string } {
  const parsed = parsePrompt(text);
  const specs = parsed.frontMatter.variables;
  const body = parsed.body.replace(/\{\{\s*([^{}\s]+)\s*\}\}/g, (whole, name: string) => {
    if (!VARIABLE_NAME.test(name)) return whole;
    const hint = specs[name]?.description ?? (specs[name]?.default !== undefined ? String(specs[name]!.default) : undefined);
    const clean = hint?.replace(/[}\n\r]/g, ' ').trim();
    return clean ? `\${input:${name}:${clean}}` : `\${input:${name}}`;
  });
  const names = [...new Set([...Object.keys(specs), ...parsed.variables])];
  const front: Record<string, string> = {
    name: slugOf(prompt.path),
    description: parsed.frontMatter.description ?? (prompt.description || prompt.title),
  };
  if (names.length) front['argument-hint'] = names.join(' ');
  const content = `---\n${stringify(front, { lineWidth: 0 })}---\n${body.startsWith('\n') ? body.slice(1) : body}`;
  return { fileName: `${slugOf(prompt.path)}.prompt.md`, content };
}

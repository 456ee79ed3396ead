// The link formats live in the sdk, shared with the backend's /p/ page and the VS Code extension's URI handler.
export { parsePromptUrl, promptUrl, vscodeUrl } from '@rocqet/sdk';

/** `path@ref` as typed after `/rocqet share`: the ref follows the last "@" (slugs never hold one). */
export function splitPathRef(text: string): { path: string; ref: string | undefined } {
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return { path: text, ref: undefined };
  return { path: text.slice(0, at), ref: text.slice(at + 1) };
}

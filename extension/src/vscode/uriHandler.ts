import { RocqetError } from '@rocqet/sdk';
import * as vscode from 'vscode';
import type { Connection } from './connection.js';
import { draftUri, versionUri } from './drafts.js';

/**
 * Where a `vscode://rocqet.rocqet-vscode/open?path=…&ref=…` link (a Slack card, a prompt's web page) leads: the
 * live draft when the ref is a branch (or absent: the default branch), else the version it names, read-only.
 */
export async function resolveOpenLink(connection: Connection, query: string): Promise<vscode.Uri | string> {
  const params = new URLSearchParams(query);
  const path = params.get('path');
  const ref = params.get('ref') || undefined;
  if (!path) return 'the link names no prompt';
  const signed = connection.current;
  if (!signed) return 'sign in to Rocqet first (Rocqet: Sign In), then open the link again';
  const workspace = signed.workspace.slug;
  try {
    const prompt = await signed.client.getPrompt({ params: { prompt: path }, query: ref ? { ref } : {} });
    if (!ref) return draftUri({ workspace, path: prompt.path, branch: prompt.defaultBranch });
    const { items } = await signed.client.listBranches({ params: { prompt: prompt.id } });
    if (items.some((b) => b.name === ref)) return draftUri({ workspace, path: prompt.path, branch: ref });
    return versionUri({ workspace, path: prompt.path, branch: prompt.defaultBranch }, prompt.commit.id);
  } catch (err) {
    if (err instanceof RocqetError && (err.code === 'not_found' || err.code === 'ref_not_found')) {
      return `${path}${ref ? `@${ref}` : ''} is not in ${signed.workspace.name}`;
    }
    throw err;
  }
}

export function registerUriHandler(connection: Connection): vscode.Disposable {
  return vscode.window.registerUriHandler({
    async handleUri(uri) {
      if (uri.path !== '/open') {
        void vscode.window.showWarningMessage(`Rocqet: this extension does not open ${uri.path} links.`);
        return;
      }
      try {
        const target = await resolveOpenLink(connection, uri.query);
        if (typeof target === 'string') void vscode.window.showWarningMessage(`Rocqet: ${target}.`);
        else await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
      } catch (err) {
        void vscode.window.showErrorMessage(`Rocqet: cannot open the link: ${(err as Error).message}`);
      }
    },
  });
}

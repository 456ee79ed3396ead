import type { SearchHit, VariableValue } from '@rocqet/sdk';
import * as vscode from 'vscode';
import { copilotPromptFile } from '../model/copilot.js';
import { checkAnswer, questionsFor, valuesFrom, type VariableQuestion } from '../model/variables.js';
import type { Connection } from './connection.js';

export interface PromptPick {
  id: string;
  path: string;
  title: string;
  description: string;
}

/** Test and automation input: values instead of input boxes, a prompt instead of the picker. */
export interface UseOptions {
  prompt?: string;
  ref?: string;
  values?: Record<string, string>;
}

/**
 * "Rocqet: Search": a QuickPick over the server's hybrid search as you type (debounced; a stale answer never
 * replaces a newer one), with the answer's facets (tags, folders) as items that narrow the search.
 */
export async function searchPrompts(connection: Connection, title = 'Search the Rocqet library'): Promise<PromptPick | undefined> {
  const { client } = connection.require();
  const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { hit?: SearchHit; facet?: { tag?: string; folder?: string } }>();
  qp.title = title;
  qp.placeholder = 'Type to search (words, "phrases", -exclude); pick a #tag or folder to filter';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const filters: { tag: string[]; folder?: string } = { tag: [] };
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    const q = qp.value.trim();
    const mine = ++seq;
    if (!q) {
      qp.items = [];
      return;
    }
    qp.busy = true;
    client
      .search({ query: { q, mode: 'hybrid', limit: 30, ...(filters.tag.length ? { tag: filters.tag } : {}), ...(filters.folder ? { folder: filters.folder } : {}) } })
      .then((r) => {
        if (mine !== seq) return;
        const active = [...filters.tag.map((t) => `#${t}`), ...(filters.folder ? [`in ${filters.folder}`] : [])];
        qp.title = `${title}${active.length ? ` — ${active.join(', ')}` : ''} (${r.total} found, ${r.mode})`;
        qp.items = [
          ...r.items.map((hit) => ({ label: hit.title, description: hit.path, detail: plain(hit.snippet) || hit.description, hit, alwaysShow: true })),
          { label: 'Filters', kind: vscode.QuickPickItemKind.Separator },
          ...r.facets.tags.slice(0, 8).map((t) => ({ label: `$(tag) #${t.tag}`, description: `${t.count}`, facet: { tag: t.tag }, alwaysShow: true })),
          ...r.facets.folders.slice(0, 8).map((f) => ({ label: `$(folder) ${f.path || '(root)'}`, description: `${f.count}`, facet: { folder: f.path }, alwaysShow: true })),
        ];
      })
      .catch((err: unknown) => {
        if (mine === seq) qp.items = [{ label: `$(error) ${err instanceof Error ? err.message : String(err)}`, alwaysShow: true }];
      })
      .finally(() => {
        if (mine === seq) qp.busy = false;
      });
  };
  qp.onDidChangeValue(() => {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  });
  return new Promise((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      if (item?.facet) {
        if (item.facet.tag && !filters.tag.includes(item.facet.tag)) filters.tag.push(item.facet.tag);
        if (item.facet.folder !== undefined) filters.folder = item.facet.folder || undefined;
        run();
        return;
      }
      if (item?.hit) resolve({ id: item.hit.id, path: item.hit.path, title: item.hit.title, description: item.hit.description });
      qp.hide();
    });
    qp.onDidHide(() => {
      clearTimeout(timer);
      resolve(undefined);
      qp.dispose();
    });
    qp.show();
  });
}

/** Asks each declared variable (an input box; an enum or a boolean as a pick), defaults prefilled, required enforced. */
export async function askValues(questions: readonly VariableQuestion[], given?: Record<string, string>): Promise<Record<string, VariableValue> | undefined> {
  const answers = new Map<string, string>();
  for (const q of questions) {
    if (given) {
      const a = given[q.name] ?? '';
      const problem = checkAnswer(q, a);
      if (problem) throw new Error(problem);
      answers.set(q.name, a);
      continue;
    }
    let answer: string | undefined;
    if (q.choices) {
      const pick = await vscode.window.showQuickPick(
        q.choices.map((c) => ({ label: c, description: c === q.default ? 'default' : undefined })),
        { title: q.prompt, placeHolder: q.required ? `${q.name} (required)` : `${q.name} (optional)`, ignoreFocusOut: true },
      );
      answer = pick?.label;
    } else {
      answer = await vscode.window.showInputBox({
        title: q.prompt,
        prompt: q.required ? `${q.name} (required)` : `${q.name} (optional${q.default !== undefined ? `, default ${q.default}` : ''})`,
        value: q.default ?? '',
        ignoreFocusOut: true,
        validateInput: (v) => checkAnswer(q, v) || undefined,
      });
    }
    if (answer === undefined) return undefined;
    answers.set(q.name, answer);
  }
  return valuesFrom(questions, answers);
}

/** Picks a prompt (unless given), asks its variables, and renders it on the server. */
export async function renderChosen(connection: Connection, opts: UseOptions = {}): Promise<{ text: string; path: string } | undefined> {
  const { client, cache } = connection.require();
  const ref = opts.prompt ?? (await searchPrompts(connection, 'Pick a prompt'))?.path;
  if (!ref) return undefined;
  const prompt = await cache.get(ref, opts.ref);
  const values = await askValues(questionsFor(prompt.content), opts.values);
  if (!values) return undefined;
  const r = await client.render({ params: { prompt: prompt.id }, body: { ref: opts.ref ?? prompt.ref, values } });
  return { text: r.text, path: prompt.path };
}

export async function insertPrompt(connection: Connection, opts: UseOptions = {}): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Open an editor to insert a prompt into.');
    return undefined;
  }
  const r = await renderChosen(connection, opts);
  if (!r) return undefined;
  await editor.edit((b) => editor.selections.forEach((s) => b.replace(s, r.text)));
  return r.text;
}

export async function copyRendered(connection: Connection, opts: UseOptions = {}): Promise<string | undefined> {
  const r = await renderChosen(connection, opts);
  if (!r) return undefined;
  await vscode.env.clipboard.writeText(r.text);
  vscode.window.setStatusBarMessage(`$(clippy) Copied ${r.path}, rendered`, 3_000);
  return r.text;
}

/** Writes `.github/prompts/<slug>.prompt.md` in the open folder, in VS Code's prompt-file format. */
export async function exportToCopilot(connection: Connection, opts: UseOptions = {}): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) {
    void vscode.window.showInformationMessage('Open a folder first: the prompt file goes in its .github/prompts.');
    return undefined;
  }
  const { cache } = connection.require();
  const ref = opts.prompt ?? (await searchPrompts(connection, 'Export which prompt to Copilot?'))?.path;
  if (!ref) return undefined;
  const prompt = await cache.get(ref, opts.ref);
  const file = copilotPromptFile(prompt, prompt.content);
  const uri = vscode.Uri.joinPath(folder.uri, '.github', 'prompts', file.fileName);
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder.uri, '.github', 'prompts'));
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(file.content));
  void vscode.window.showInformationMessage(`Exported ${prompt.path} to ${vscode.workspace.asRelativePath(uri)}: run it in chat as /${file.fileName.replace(/\.prompt\.md$/, '')}.`);
  return uri;
}

function plain(snippet: string): string {
  return snippet.replace(/<\/?mark>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

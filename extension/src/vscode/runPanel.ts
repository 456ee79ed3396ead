import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { attemptLine, usageLine, type RunPanelState } from '../model/runs.js';

/** What the webview reports after each update: the text it shows, so a test can check what the panel received. */
export interface PanelShown {
  /** The run has ended (Cancel is disabled). */
  done: boolean;
  outputs: string[];
  usage: string[];
  problems: string[];
}

/**
 * The side panel a run streams into: one column per side, output appended as tokens arrive, the usage and attempts
 * of each, and a Cancel button. The webview gets text only (set with textContent, never parsed as HTML) under a CSP
 * that allows nothing but its own nonce'd script and style.
 */
export class RunPanel implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  shown: PanelShown | undefined;
  private readonly controller = new AbortController();
  private readonly subs: vscode.Disposable[] = [];
  private readonly shownEmitter = new vscode.EventEmitter<PanelShown>();
  readonly onDidShow = this.shownEmitter.event;
  private ready: Promise<void>;

  constructor(readonly state: RunPanelState) {
    this.panel = vscode.window.createWebviewPanel('rocqet.run', state.title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      localResourceRoots: [],
      // A hidden webview without it loses its page and the messages sent meanwhile: a run streams on while hidden.
      retainContextWhenHidden: true,
    });
    let markReady: () => void = () => {};
    this.ready = new Promise((r) => (markReady = r));
    this.subs.push(
      this.panel.webview.onDidReceiveMessage((m: { type?: string } & Partial<PanelShown>) => {
        if (m.type === 'ready') markReady();
        else if (m.type === 'cancel') this.cancel();
        else if (m.type === 'shown') {
          this.shown = { done: m.done === true, outputs: m.outputs ?? [], usage: m.usage ?? [], problems: m.problems ?? [] };
          this.shownEmitter.fire(this.shown);
        }
      }),
      this.panel.onDidDispose(() => this.cancel()),
    );
    this.panel.webview.html = html(randomBytes(16).toString('base64'));
  }

  /** Aborted by Cancel or by closing the panel: the stream closes and the server logs the run as cancelled. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  cancel(): void {
    this.controller.abort();
  }

  /** Text appended to one side's output, as it arrives. */
  append(side: number, text: string): void {
    void this.ready.then(() => this.panel.webview.postMessage({ type: 'delta', side, text }));
  }

  /** Everything but the streamed text: statuses, usage, attempts, problems. */
  update(): void {
    const s = this.state;
    const view = {
      type: 'state',
      done: s.done,
      diff: s.diff ? `Output diff: +${s.diff.added} −${s.diff.removed} lines (opened beside)` : '',
      sides: s.sides.map((side) => ({
        label: `${side.label}${side.commitSeq !== undefined ? ` (#${side.commitSeq})` : ''}`,
        status: side.status,
        output: side.output,
        usage: usageLine(side),
        attempts: side.attempts.length > 1 || side.attempts.some((a) => a.outcome !== 'ok') ? side.attempts.map(attemptLine) : [],
        problem: side.problem ?? '',
      })),
    };
    void this.ready.then(() => this.panel.webview.postMessage(view));
  }

  dispose(): void {
    this.cancel();
    this.subs.forEach((d) => d.dispose());
    this.shownEmitter.dispose();
    this.panel.dispose();
  }
}

// The page loads nothing, not even from the extension, so the CSP names no source but the nonce.
function html(nonce: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 12px; }
  #sides { display: flex; gap: 12px; }
  .side { flex: 1; min-width: 0; }
  h3 { margin: 8px 0 4px; font-size: 1em; }
  .status { color: var(--vscode-descriptionForeground); font-weight: normal; }
  pre.output { white-space: pre-wrap; word-break: break-word; font-family: var(--vscode-editor-font-family); background: var(--vscode-textCodeBlock-background); padding: 8px; min-height: 2em; }
  .usage, .attempts, #diff { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
  .problem { color: var(--vscode-errorForeground); white-space: pre-wrap; }
  .attempts { margin: 4px 0; padding-left: 16px; }
</style>
</head>
<body>
<p><button id="cancel" type="button">Cancel</button> <span id="diff"></span></p>
<div id="sides"></div>
<script nonce="${nonce}">
  const vscode = acquireVsCodeApi();
  const sides = document.getElementById('sides');
  const cancel = document.getElementById('cancel');
  cancel.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
  const columns = [];
  function column(i) {
    while (columns.length <= i) {
      const el = document.createElement('div');
      el.className = 'side';
      const h = document.createElement('h3');
      const label = document.createElement('span');
      const status = document.createElement('span');
      status.className = 'status';
      h.append(label, ' ', status);
      const problem = document.createElement('div');
      problem.className = 'problem';
      const output = document.createElement('pre');
      output.className = 'output';
      const usage = document.createElement('div');
      usage.className = 'usage';
      const attempts = document.createElement('ul');
      attempts.className = 'attempts';
      el.append(h, problem, output, usage, attempts);
      sides.append(el);
      columns.push({ label, status, problem, output, usage, attempts });
    }
    return columns[i];
  }
  function report() {
    vscode.postMessage({
      type: 'shown',
      done: cancel.disabled,
      outputs: columns.map((c) => c.output.textContent),
      usage: columns.map((c) => c.usage.textContent),
      problems: columns.map((c) => c.problem.textContent),
    });
  }
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'delta') {
      column(m.side).output.append(document.createTextNode(m.text));
    } else if (m.type === 'state') {
      m.sides.forEach((s, i) => {
        const c = column(i);
        c.label.textContent = s.label;
        c.status.textContent = s.status;
        if (c.output.textContent !== s.output) c.output.textContent = s.output;
        c.usage.textContent = s.usage;
        c.problem.textContent = s.problem;
        c.attempts.replaceChildren(...s.attempts.map((a) => { const li = document.createElement('li'); li.textContent = a; return li; }));
      });
      document.getElementById('diff').textContent = m.diff;
      cancel.disabled = m.done;
    }
    report();
  });
  vscode.postMessage({ type: 'ready' });
</script>
</body>
</html>`;
}

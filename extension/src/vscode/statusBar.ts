import * as vscode from 'vscode';
import type { Connection, ConnectionState } from './connection.js';

const LOOK: Record<ConnectionState, { icon: string; text: string }> = {
  'signed-out': { icon: '$(account)', text: 'Rocqet: sign in' },
  connecting: { icon: '$(sync~spin)', text: 'connecting' },
  connected: { icon: '$(cloud)', text: 'connected' },
  reconnecting: { icon: '$(sync~spin)', text: 'reconnecting' },
  offline: { icon: '$(cloud-offline)', text: 'offline' },
};

/** Workspace and connection state, from the sdk feed's state. */
export function createStatusBar(connection: Connection): vscode.Disposable {
  const item = vscode.window.createStatusBarItem('rocqet.status', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Rocqet';
  const render = () => {
    const s = connection.state;
    const look = LOOK[s];
    const ws = connection.current?.workspace.slug;
    item.text = ws ? `${look.icon} ${ws}: ${look.text}` : `${look.icon} ${look.text}`;
    item.tooltip = ws
      ? `Rocqet workspace "${connection.current!.workspace.name}" at ${connection.baseUrl}, as ${connection.current!.me.name} (${connection.current!.me.role}); live updates ${look.text}`
      : `Rocqet at ${connection.baseUrl}: ${look.text}`;
    item.command = s === 'signed-out' || s === 'offline' ? 'rocqet.signIn' : 'rocqet.search';
    item.backgroundColor = s === 'offline' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  };
  render();
  item.show();
  const subs = [connection.onState(render), connection.onDidChangeSession(render)];
  return { dispose: () => (subs.forEach((d) => d.dispose()), item.dispose()) };
}

/** The text the status bar shows, for tests. */
export function statusText(connection: Connection): string {
  return LOOK[connection.state].text;
}

import * as vscode from 'vscode';
import type { Connection, Signed } from './connection.js';
import { describe } from './errors.js';

export const AUTH_ID = 'rocqet';

/**
 * Rocqet in VS Code's account menu: the session is the signed-in API token (kept in SecretStorage by the
 * connection). Creating a session asks for a token; removing it signs out.
 */
export class RocqetAuthProvider implements vscode.AuthenticationProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.AuthenticationProviderAuthenticationSessionsChangeEvent>();
  readonly onDidChangeSessions = this.changes.event;
  private last: vscode.AuthenticationSession | undefined;
  private readonly sub: vscode.Disposable;

  constructor(private readonly connection: Connection) {
    this.sub = connection.onDidChangeSession((signed) => {
      const before = this.last;
      this.last = signed ? sessionOf(signed) : undefined;
      this.changes.fire({
        added: this.last && !before ? [this.last] : [],
        removed: before && !this.last ? [before] : [],
        changed: before && this.last ? [this.last] : [],
      });
    });
  }

  async getSessions(): Promise<vscode.AuthenticationSession[]> {
    const s = this.connection.current;
    return s ? [sessionOf(s)] : [];
  }

  async createSession(): Promise<vscode.AuthenticationSession> {
    const token = await askToken(this.connection);
    if (!token) throw new Error('Sign-in cancelled');
    return sessionOf(await this.connection.signIn(token));
  }

  async removeSession(): Promise<void> {
    await this.connection.signOut();
  }

  dispose(): void {
    this.sub.dispose();
    this.changes.dispose();
  }
}

function sessionOf(s: Signed): vscode.AuthenticationSession {
  return {
    id: s.me.tokenId ?? s.me.userId,
    accessToken: s.token,
    account: { id: s.me.userId, label: `${s.me.name} · ${s.workspace.slug}` },
    // VS Code matches sessions by the scopes asked for; a Rocqet token's scopes are not OAuth scopes, so none.
    scopes: [],
  };
}

/** An input box for the token that checks it with the server before it closes. */
export async function askToken(connection: Connection): Promise<string | undefined> {
  const box = vscode.window.createInputBox();
  box.title = `Sign in to Rocqet at ${connection.baseUrl}`;
  box.prompt = 'An API token (rq_live_…): `npm start` prints one; create more with POST /v1/tokens';
  box.password = true;
  box.ignoreFocusOut = true;
  return new Promise((resolve) => {
    box.onDidAccept(async () => {
      const token = box.value.trim();
      if (!/^rq_\w+/.test(token)) {
        box.validationMessage = 'A Rocqet token starts with rq_';
        return;
      }
      box.busy = true;
      try {
        await connection.signIn(token);
        resolve(token);
        box.hide();
      } catch (err) {
        box.validationMessage = describe(err);
      } finally {
        box.busy = false;
      }
    });
    box.onDidHide(() => {
      resolve(undefined);
      box.dispose();
    });
    box.show();
  });
}

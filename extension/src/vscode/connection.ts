import { createClient, createPromptCache, type Client, type FeedEvent, type FeedState, type Me, type PromptCache } from '@rocqet/sdk';
import * as vscode from 'vscode';

const TOKEN_KEY = 'rocqet.token';

export type ConnectionState = 'signed-out' | 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface Signed {
  client: Client;
  cache: PromptCache;
  me: Me;
  workspace: { id: string; slug: string; name: string };
  token: string;
  baseUrl: string;
  canWrite: boolean;
}

/**
 * The signed-in link to one Rocqet server: the sdk client, who the token is, and the change feed (through the sdk's
 * prompt cache, which follows it). Everything else listens here: the tree and the documents to `onEvent`, the status
 * bar to `onState`, the MCP registration to `onDidSignIn`.
 */
export class Connection implements vscode.Disposable {
  current: Signed | undefined;
  state: ConnectionState = 'signed-out';
  private readonly events = new vscode.EventEmitter<FeedEvent>();
  private readonly states = new vscode.EventEmitter<ConnectionState>();
  private readonly signins = new vscode.EventEmitter<Signed | undefined>();
  private readonly resyncs = new vscode.EventEmitter<void>();
  readonly onEvent = this.events.event;
  readonly onState = this.states.event;
  readonly onDidChangeSession = this.signins.event;
  readonly onResync = this.resyncs.event;

  constructor(private readonly secrets: vscode.SecretStorage) {}

  get baseUrl(): string {
    return vscode.workspace.getConfiguration('rocqet').get<string>('serverUrl', 'http://127.0.0.1:4300').replace(/\/+$/, '');
  }

  /** Signs in with the stored token, if there is one; answers whether it worked. */
  async restore(): Promise<boolean> {
    const token = await this.secrets.get(TOKEN_KEY);
    if (!token) return false;
    try {
      await this.signIn(token);
      return true;
    } catch {
      this.setState('offline');
      return false;
    }
  }

  /** Checks the token against the server (`GET /v1/me`), keeps it in SecretStorage and opens the feed. */
  async signIn(token: string): Promise<Signed> {
    const baseUrl = this.baseUrl;
    const client = createClient({ baseUrl, token, userAgent: 'rocqet-vscode' });
    const me = await client.me();
    const ws = await client.getWorkspace({ params: { workspace: me.workspaceId } });
    this.close();
    const cache = createPromptCache(client, {
      onEvent: (e) => this.events.fire(e),
      onState: (s) => this.setState(stateOf(s)),
      onResync: () => this.resyncs.fire(),
    });
    const signed: Signed = {
      client,
      cache,
      me,
      workspace: { id: ws.id, slug: ws.slug, name: ws.name },
      token,
      baseUrl,
      canWrite: me.role !== 'viewer' && me.scopes.includes('write'),
    };
    this.current = signed;
    await this.secrets.store(TOKEN_KEY, token);
    this.setState(stateOf(cache.state));
    await vscode.commands.executeCommand('setContext', 'rocqet.signedIn', true);
    await vscode.commands.executeCommand('setContext', 'rocqet.canWrite', signed.canWrite);
    this.signins.fire(signed);
    return signed;
  }

  async signOut(): Promise<void> {
    this.close();
    await this.secrets.delete(TOKEN_KEY);
    await vscode.commands.executeCommand('setContext', 'rocqet.signedIn', false);
    await vscode.commands.executeCommand('setContext', 'rocqet.canWrite', false);
    this.setState('signed-out');
    this.signins.fire(undefined);
  }

  /** The signed-in session, or an error saying to sign in. */
  require(): Signed {
    if (!this.current) throw new Error('not signed in: run "Rocqet: Sign In"');
    return this.current;
  }

  dispose(): void {
    this.close();
    this.events.dispose();
    this.states.dispose();
    this.signins.dispose();
    this.resyncs.dispose();
  }

  private close(): void {
    this.current?.cache.close();
    this.current = undefined;
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    // A reconnect needs no reload: the sdk resumes the feed with Last-Event-ID, and says onResync when it cannot.
    this.state = s;
    this.states.fire(s);
  }
}

function stateOf(s: FeedState): ConnectionState {
  if (s === 'open') return 'connected';
  if (s === 'closed') return 'offline';
  return s === 'connecting' ? 'connecting' : 'reconnecting';
}

import * as vscode from 'vscode';
import type { Connection } from './connection.js';

/** The 1.101 API, declared here because the extension is typed against 1.100 and detects it at run time. */
interface McpServerDefinitionProvider {
  onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): unknown[];
  resolveMcpServerDefinition?(definition: unknown, token: vscode.CancellationToken): unknown;
}
type RegisterMcp = (id: string, provider: McpServerDefinitionProvider) => vscode.Disposable;
type McpHttpServerDefinitionCtor = new (label: string, uri: vscode.Uri, headers?: Record<string, string>, version?: string) => unknown;

export const MCP_PROVIDER_ID = 'rocqet';

export interface McpRegistration extends vscode.Disposable {
  /** Whether this VS Code has the API (1.101+) and the provider is registered. */
  readonly registered: boolean;
  /** The definitions offered now (tests read them). */
  definitions(): unknown[];
}

/**
 * Offers the backend's MCP endpoint (`<server>/mcp`, Streamable HTTP, the signed-in token in the Authorization
 * header) to Copilot chat, so library prompts become `/mcp.rocqet.<prompt>` commands. VS Code before 1.101 has no
 * such API: that is said once, and the rest of the extension works without it.
 */
export function registerMcp(connection: Connection, state: vscode.Memento): McpRegistration {
  const register = (vscode.lm as unknown as { registerMcpServerDefinitionProvider?: RegisterMcp }).registerMcpServerDefinitionProvider;
  const Http = (vscode as unknown as { McpHttpServerDefinition?: McpHttpServerDefinitionCtor }).McpHttpServerDefinition;
  const enabled = vscode.workspace.getConfiguration('rocqet').get<boolean>('registerMcpServer', true);
  if (!register || !Http || !enabled) {
    if (enabled && !state.get<boolean>('rocqet.mcpUnsupportedSaid')) {
      void state.update('rocqet.mcpUnsupportedSaid', true);
      void vscode.window.showInformationMessage(
        `Rocqet: this VS Code (${vscode.version}) cannot register MCP servers (that needs 1.101 or later), so the library is not offered to chat. Everything else works; see the README for .vscode/mcp.json.`,
      );
    }
    return { registered: false, definitions: () => [], dispose: () => undefined };
  }
  const changed = new vscode.EventEmitter<void>();
  const definitions = () => {
    const s = connection.current;
    if (!s) return [];
    return [new Http(`Rocqet (${s.workspace.slug})`, vscode.Uri.parse(`${s.baseUrl}/mcp`), { Authorization: `Bearer ${s.token}` }, '1')];
  };
  const registration = register(MCP_PROVIDER_ID, {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => definitions(),
    resolveMcpServerDefinition: (d) => d,
  });
  const sub = connection.onDidChangeSession(() => changed.fire());
  return {
    registered: true,
    definitions,
    dispose: () => {
      sub.dispose();
      registration.dispose();
      changed.dispose();
    },
  };
}

// The test host's runner (extension/host/src, the vshost part), loaded by URL: it is typed with the DOM library for
// its browser-side code, which these Node tests (and backend/test/support) cannot compile with. What they use of it:
import type { Browser, Page } from 'playwright-core';

export interface HostApi {
  hostProblem(): string | undefined;
  hostInfo(): { codeServer: string; vscode: string; nodeVersion: string } | undefined;
  runExtensionTests(options: {
    extensionPath: string;
    testsPath: string;
    workspaceFolder?: string;
    settings?: Record<string, unknown>;
    env?: Record<string, string>;
    timeoutMs?: number;
    onLog?: (line: string) => void;
  }): Promise<{ exitCode: number; log: string; ms: number }>;
  openWorkbench(options: { extensionPath: string; workspaceFolder?: string; settings?: Record<string, unknown>; env?: Record<string, string>; timeoutMs?: number }): Promise<{
    page: Page;
    browser: Browser;
    url: string;
    port: number;
    close(): Promise<void>;
  }>;
  screenshot(page: Page, name: string): Promise<string>;
  runCommand(page: Page, title: string, options?: { timeoutMs?: number; opensInput?: boolean }): Promise<void>;
}

export const host = (await import(new URL('../../host/src/index.ts', import.meta.url).href)) as HostApi;
export type Workbench = Awaited<ReturnType<HostApi['openWorkbench']>>;

// Types for install.mjs, which stays JavaScript because scripts/test-prepare.mjs runs it before anything is compiled.
export interface HostPaths {
  dir: string;
  nodeDir: string;
  node: string;
  codeServerDir: string;
  codeServerEntry: string;
  chromium: string;
}
export interface InstalledHost extends HostPaths {
  codeServer: string;
  vscode: string;
  nodeVersion: string;
  installedAt: string;
  seconds: number;
}
export const DEBIAN_PACKAGES: string[];
export const CHROMIUM: string;
export function hostDir(): string;
export function installKey(): string;
export function hostPaths(dir?: string): HostPaths;
export function installedHost(): InstalledHost | undefined;
export function missingDebianPackages(): string[];
export function hostProblem(): string | undefined;
export function ensureHost(options?: { fix?: boolean; log?: (message: string) => void }): string | undefined;

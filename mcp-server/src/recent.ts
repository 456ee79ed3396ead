/**
 * Values recently given for prompt arguments, offered back as completions. Kept per workspace in this process
 * (never across workspaces), newest first, a few per argument.
 */
export class RecentValues {
  private readonly byKey = new Map<string, string[]>();

  constructor(
    private readonly perArgument = 10,
    private readonly maxKeys = 10_000,
  ) {}

  remember(workspaceId: string, path: string, values: Record<string, string>): void {
    for (const [name, value] of Object.entries(values)) {
      if (value === '' || value.length > 200) continue;
      const key = this.key(workspaceId, path, name);
      const list = [value, ...(this.byKey.get(key) ?? []).filter((v) => v !== value)].slice(0, this.perArgument);
      this.byKey.delete(key);
      this.byKey.set(key, list);
      if (this.byKey.size > this.maxKeys) this.byKey.delete(this.byKey.keys().next().value!);
    }
  }

  of(workspaceId: string, path: string, name: string): string[] {
    return this.byKey.get(this.key(workspaceId, path, name)) ?? [];
  }

  private key(workspaceId: string, path: string, name: string): string {
    return `${workspaceId}\u0000${path}\u0000${name}`;
  }
}

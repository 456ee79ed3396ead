import type { Client, FeedEvent, Folder, Prompt, RouteOutput, Routes } from '@rocqet/sdk';

export type Branch = RouteOutput<Routes['listBranches']>['items'][number];
export type Tag = RouteOutput<Routes['listTags']>['items'][number];
export type Presence = RouteOutput<Routes['getDraft']>['presence'][number];

export type LibraryNode =
  | { kind: 'folder'; key: string; folder: Folder }
  | { kind: 'prompt'; key: string; prompt: Prompt }
  | { kind: 'branch'; key: string; prompt: Prompt; branch: Branch; presence: Presence[] }
  | { kind: 'tag'; key: string; prompt: Prompt; tag: Tag };

/** What a feed event made stale: the whole tree, or one prompt's branches and tags. */
export type Invalidation = { scope: 'all' } | { scope: 'prompt'; node: LibraryNode & { kind: 'prompt' } };

const ROOT = '';

/**
 * The sidebar's data: folders, the prompts in each, and each prompt's branches (with who is in their drafts) and
 * tags, loaded lazily as the tree expands and kept in memory until the change feed says what changed. It never
 * polls: `apply(event)` drops what an event touched and says which part of the tree to redraw.
 */
export class LibraryModel {
  private folders: Folder[] | undefined;
  private readonly prompts = new Map<string, LibraryNode[]>();
  private readonly refs = new Map<string, LibraryNode[]>();
  private readonly promptNodes = new Map<string, LibraryNode & { kind: 'prompt' }>();
  private readonly folderNodes = new Map<string, LibraryNode & { kind: 'folder' }>();

  constructor(private readonly client: Client) {}

  async children(node?: LibraryNode): Promise<LibraryNode[]> {
    if (!node || node.kind === 'folder') {
      const folderId = node?.folder.id ?? null;
      const folders = (await this.allFolders()).filter((f) => f.parentId === folderId);
      const prompts = await this.promptsIn(folderId);
      return [...folders.map((f) => this.folderNode(f)), ...prompts];
    }
    if (node.kind === 'prompt') return this.refsOf(node.prompt);
    return [];
  }

  /** The node of a prompt already loaded (to redraw it), by id. */
  promptNode(id: string): (LibraryNode & { kind: 'prompt' }) | undefined {
    return this.promptNodes.get(id);
  }

  /** The parent of a node, for `TreeView.reveal` (loaded nodes only). */
  parentOf(node: LibraryNode): LibraryNode | undefined {
    if (node.kind === 'folder') return node.folder.parentId ? this.folderNodes.get(node.folder.parentId) : undefined;
    if (node.kind === 'prompt') return node.prompt.folderId ? this.folderNodes.get(node.prompt.folderId) : undefined;
    return this.promptNodes.get(node.prompt.id);
  }

  /** Drops what the event changed; says what to redraw (undefined: nothing shown depends on it). */
  apply(event: FeedEvent): Invalidation | undefined {
    const { promptId } = event.subject;
    const [area, verb] = event.action.split('.', 2) as [string, string | undefined];
    if (area === 'folder' || area === 'workspace') {
      this.reset();
      return { scope: 'all' };
    }
    if (area === 'prompt' && ['create', 'delete', 'restore', 'move', 'update', 'import'].includes(verb ?? '')) {
      // Lists of folders change (a move leaves one and enters another): reload the listings, keep the folders.
      this.prompts.clear();
      if (promptId) this.refs.delete(promptId);
      return { scope: 'all' };
    }
    if (promptId && (area === 'prompt' || area === 'branch' || area === 'tag')) {
      this.refs.delete(promptId);
      const node = this.promptNodes.get(promptId);
      return node ? { scope: 'prompt', node } : undefined;
    }
    return undefined;
  }

  /** Forgets everything (a resync: the feed could not resume). */
  reset(): void {
    this.folders = undefined;
    this.prompts.clear();
    this.refs.clear();
  }

  /** Every folder (the API returns the whole tree, parents first). */
  async allFolders(): Promise<Folder[]> {
    this.folders ??= (await this.client.listFolders()).items;
    return this.folders;
  }

  /** Nodes keep their identity across reloads (VS Code redraws and reveals by element), only their data changes. */
  private folderNode(folder: Folder): LibraryNode & { kind: 'folder' } {
    const node = this.folderNodes.get(folder.id) ?? { kind: 'folder' as const, key: `folder:${folder.id}`, folder };
    node.folder = folder;
    this.folderNodes.set(folder.id, node);
    return node;
  }

  private async promptsIn(folderId: string | null): Promise<LibraryNode[]> {
    const key = folderId ?? ROOT;
    const cached = this.prompts.get(key);
    if (cached) return cached;
    const items: Prompt[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.client.listPrompts({
        query: { limit: 100, ...(folderId ? { folder: folderId } : { root: 'true' as const }), ...(cursor ? { cursor } : {}) },
      });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    items.sort((a, b) => a.title.localeCompare(b.title));
    const nodes = items.map((prompt) => {
      const node = this.promptNodes.get(prompt.id) ?? { kind: 'prompt' as const, key: `prompt:${prompt.id}`, prompt };
      node.prompt = prompt;
      this.promptNodes.set(prompt.id, node);
      return node;
    });
    this.prompts.set(key, nodes);
    return nodes;
  }

  private async refsOf(prompt: Prompt): Promise<LibraryNode[]> {
    const cached = this.refs.get(prompt.id);
    if (cached) return cached;
    const [branches, tags] = await Promise.all([
      this.client.listBranches({ params: { prompt: prompt.id } }),
      this.client.listTags({ params: { prompt: prompt.id } }),
    ]);
    const presence = await Promise.all(
      branches.items.map((b) =>
        this.client
          .getDraft({ params: { prompt: prompt.id, name: b.name } })
          .then((d) => d.presence)
          .catch(() => [] as Presence[]),
      ),
    );
    const nodes: LibraryNode[] = [
      ...branches.items
        .map((branch, i) => ({ kind: 'branch' as const, key: `branch:${prompt.id}/${branch.name}`, prompt, branch, presence: presence[i]! }))
        .sort((a, b) => Number(b.branch.isDefault) - Number(a.branch.isDefault) || a.branch.name.localeCompare(b.branch.name)),
      ...tags.items.map((tag) => ({ kind: 'tag' as const, key: `tag:${prompt.id}/${tag.name}`, prompt, tag })),
    ];
    this.refs.set(prompt.id, nodes);
    return nodes;
  }
}

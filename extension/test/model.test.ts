// The extension's pure parts: document addresses, conflict markers, variable questions, the Copilot prompt file, and
// the library model kept current by the real change feed of a real backend.
import assert from 'node:assert/strict';
import { createPromptCache, type FeedEvent } from '@rocqet/sdk';
import { parse as parseYaml } from 'yaml';
import { startTestApp, type TestApp, type TestWorkspace } from '../../backend/test/support/app.js';
import { until } from '../../backend/test/collab/support.js';
import { applyEdits, editsBetween, mapOffset } from '../src/collab/edits.js';
import { LineIndex, RawMap, normalForm } from '../src/collab/text.js';
import { findConflicts, hasConflictMarkers, resolutionLines } from '../src/model/conflicts.js';
import { copilotPromptFile } from '../src/model/copilot.js';
import { LibraryModel, type LibraryNode } from '../src/model/library.js';
import { formatPath, formatQuery, parseDocUri } from '../src/model/uri.js';
import { checkAnswer, questionsFor, valuesFrom } from '../src/model/variables.js';

describe('extension: document addresses (rocqet:/<workspace>/<path>@<branch>.prompt.md)', () => {
  it('round-trips paths with folders, dots and "@" in folder names, and branches with slashes', () => {
    for (const a of [
      { workspace: 'demo', path: 'reviewer', branch: 'main' },
      { workspace: 'demo', path: 'team/sub/code-review.v2', branch: 'feature/tone' },
      { workspace: 'demo', path: 'a@b folder/slug', branch: 'release-1.0' },
    ]) {
      assert.deepEqual(parseDocUri(formatPath(a)), { ...a, kind: 'draft' });
      assert.deepEqual(parseDocUri(formatPath(a), formatQuery({ kind: 'version', commit: 'abc' })), { ...a, kind: 'version', commit: 'abc' });
      assert.deepEqual(parseDocUri(formatPath(a), formatQuery({ kind: 'merge', source: 'x/y' })), { ...a, kind: 'merge', source: 'x/y' });
    }
  });

  it('refuses what is not a prompt document', () => {
    for (const p of ['/demo/x.md', 'demo/x@main.prompt.md', '/demo@main.prompt.md', '/demo/x@.prompt.md', '/demo/@main.prompt.md', '/demo/a//b@main.prompt.md', '/']) {
      assert.equal(parseDocUri(p), undefined, p);
    }
  });
});

describe('extension: text forms and edits', () => {
  it('maps offsets across CRLF, lone CR and LF', () => {
    const raw = 'a\r\nb\rc\nd\r\n';
    const map = new RawMap(raw);
    const n = normalForm(raw);
    assert.equal(n, 'a\nb\nc\nd\n');
    for (let i = 0; i <= n.length; i++) assert.equal(normalForm(raw.slice(0, map.toRaw(i))), n.slice(0, i), `offset ${i}`);
    assert.equal(map.toNormal(2), 1, 'between \\r and \\n counts as before the break');
    const index = new LineIndex(n);
    assert.deepEqual(index.positionAt(4), { line: 2, character: 0 });
    assert.equal(index.offsetAt({ line: 1, character: 99 }), 3, 'past the line end clamps to it');
  });

  it('edits between two texts rebuild the second, keep surrogate pairs whole, and map offsets past them', () => {
    const cases: [string, string][] = [
      ['hello world', 'hello brave world'],
      ['abc', ''],
      ['', 'xyz'],
      ['one two three', 'one 2 three!'],
      ['😀😀', '😀😁'],
      ['x'.repeat(5000), 'y'.repeat(5000)],
    ];
    for (const [a, b] of cases) {
      const edits = editsBetween(a, b);
      assert.equal(applyEdits(a, edits), b);
      for (const e of edits) assert.ok(!/[\ud800-\udbff]$/.test(a.slice(0, e.start)), 'no cut inside a surrogate pair');
    }
    const edits = editsBetween('aaaa\ncccc', 'aaaa\nREMOTE cccc');
    assert.equal(mapOffset(edits, 2), 2, 'before the change: unchanged');
    assert.equal(mapOffset(edits, 7), 14, 'after the change: shifted by it');
  });
});

describe('extension: conflict markers', () => {
  const text = 'keep\n<<<<<<< ours\nmine\n||||||| base\norig\n=======\ntheirs\n>>>>>>> theirs\nend\n<<<<<<< main\na\n=======\nb\n>>>>>>> feature\n';

  it('finds each block with its sides and labels, and what each action leaves', () => {
    const blocks = findConflicts(text);
    assert.equal(blocks.length, 2);
    assert.deepEqual([blocks[0]!.start, blocks[0]!.end, blocks[0]!.current, blocks[0]!.base, blocks[0]!.incoming], [1, 7, ['mine'], ['orig'], ['theirs']]);
    assert.deepEqual([blocks[1]!.currentLabel, blocks[1]!.incomingLabel], ['main', 'feature']);
    assert.deepEqual(resolutionLines(blocks[1]!, 'both'), ['a', 'b']);
    assert.deepEqual(resolutionLines(blocks[1]!, 'incoming'), ['b']);
    assert.equal(hasConflictMarkers('no markers\n=======\n'), false, 'a lone separator is text');
    assert.equal(hasConflictMarkers('<<<<<<< unclosed\nx\n'), false, 'an unclosed marker is text');
  });
});

describe('extension: variables asked before rendering', () => {
  const prompt = [
    '---',
    'description: Review code',
    'variables:',
    '  language: { description: The language, enum: [ts, go], default: ts }',
    '  diff: { description: The diff, required: true }',
    '  depth: { default: 2 }',
    '  strict: { default: false }',
    '---',
    'Review this {{language}} diff ({{depth}}, {{strict}}):',
    '{{diff}} {{extra}}',
  ].join('\n');

  it('asks each declared variable (enum as choices, defaults prefilled), then undeclared placeholders', () => {
    const qs = questionsFor(prompt);
    assert.deepEqual(
      qs.map((q) => [q.name, q.required, q.default, q.choices, q.kind]),
      [
        ['language', false, 'ts', ['ts', 'go'], 'string'],
        ['diff', true, undefined, undefined, 'string'],
        ['depth', false, '2', undefined, 'number'],
        ['strict', false, 'false', ['true', 'false'], 'boolean'],
        ['extra', true, undefined, undefined, 'string'],
      ],
    );
    const diff = qs.find((q) => q.name === 'diff')!;
    assert.equal(checkAnswer(diff, ''), 'diff is required');
    assert.equal(checkAnswer(qs.find((q) => q.name === 'depth')!, 'deep'), 'depth must be a number');
    const values = valuesFrom(qs, new Map([['language', 'go'], ['diff', '+x'], ['depth', '3'], ['strict', 'true'], ['extra', '']]));
    assert.deepEqual(values, { language: 'go', diff: '+x', depth: 3, strict: true });
  });

  it('writes a Copilot prompt file with VS Code’s front matter and ${input:…} variables', () => {
    const file = copilotPromptFile({ path: 'team/code-review', title: 'Code review', description: '' }, prompt);
    assert.equal(file.fileName, 'code-review.prompt.md');
    const [, front, body] = file.content.split(/^---\n/m);
    assert.deepEqual(parseYaml(front!), { name: 'code-review', description: 'Review code', 'argument-hint': 'language diff depth strict extra' });
    assert.equal(body, 'Review this ${input:language:The language} diff (${input:depth:2}, ${input:strict:false}):\n${input:diff:The diff} ${input:extra}');
  });
});

describe('extension: the library model, kept current by the change feed', () => {
  let app: TestApp;
  let ws: TestWorkspace;
  before(async () => {
    app = await startTestApp();
    ws = await app.workspace();
  });
  after(() => app.close());

  it('loads folders, prompts and refs lazily, and redraws only what a feed event touched', async () => {
    const folder = await ws.owner.createFolder({ body: { name: 'team' } });
    const p = await ws.owner.createPrompt({ body: { title: 'Reviewer', content: 'v1\n', folderId: folder.id } });
    await ws.owner.createPrompt({ body: { title: 'At root', content: 'r\n' } });
    const model = new LibraryModel(ws.owner);
    const seen: FeedEvent[] = [];
    const redraws: string[] = [];
    const cache = createPromptCache(ws.owner, {
      onEvent: (e) => {
        seen.push(e);
        const inv = model.apply(e);
        if (inv) redraws.push(inv.scope === 'all' ? 'all' : inv.node.key);
      },
    });
    try {
      await until(() => cache.state === 'open', 'the feed to open');
      const root = await model.children();
      assert.deepEqual(root.map(label), ['folder:team', 'prompt:At root']);
      const inFolder = await model.children(root[0]);
      assert.deepEqual(inFolder.map(label), ['prompt:Reviewer']);
      const refs = await model.children(inFolder[0]);
      assert.deepEqual(refs.map(label), ['branch:main#1']);

      await ws.owner.commit({ params: { prompt: p.id }, body: { content: 'v2\n', message: 'second', parent: p.commit.id } });
      await until(() => redraws.includes(`prompt:${p.id}`), 'the commit to redraw its prompt');
      assert.deepEqual((await model.children(inFolder[0])).map(label), ['branch:main#2']);

      await ws.owner.createTag({ body: { name: 'v1', ref: '#1' }, params: { prompt: p.id } });
      await until(() => redraws.filter((r) => r === `prompt:${p.id}`).length >= 2, 'the tag to redraw its prompt');
      assert.deepEqual((await model.children(inFolder[0])).map(label), ['branch:main#2', 'tag:v1#1']);

      await ws.owner.updatePrompt({ params: { prompt: p.id }, body: { folderId: null } });
      await until(() => redraws.includes('all'), 'a move to redraw the tree');
      assert.deepEqual((await model.children()).map(label), ['folder:team', 'prompt:At root', 'prompt:Reviewer']);
      assert.deepEqual(await model.children((await model.children())[0]), []);
    } finally {
      cache.close();
    }
  });
});

function label(n: LibraryNode): string {
  if (n.kind === 'folder') return `folder:${n.folder.name}`;
  if (n.kind === 'prompt') return `prompt:${n.prompt.title}`;
  if (n.kind === 'branch') return `branch:${n.branch.name}#${n.branch.head.seq}`;
  return `tag:${n.tag.name}#${n.tag.commit.seq}`;
}

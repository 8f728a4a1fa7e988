// The files of a user's model folder, resolved and checked before anything reads them. A model folder may be
// a Hugging Face cache snapshot (`models--org--name/snapshots/<rev>/`), whose files are relative symlinks into
// `../../blobs/`: those are followed, and must stay inside the `models--…` folder. Whatever the links say, only
// regular files are read, each under a size limit that fits gpt2-xl with room to spare, so a link to /dev/zero,
// a FIFO or a folder is refused with its name instead of being read forever.

import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { GlassboxError } from '../../protocol/errors';

/** Largest file Glassbox reads of each kind; gpt2-xl's weights are 6.4 GB, its tokenizer.json 1.4 MB. */
export const FILE_LIMITS = {
  'model.safetensors': 16 * 2 ** 30,
  'tokenizer.json': 64 * 2 ** 20,
  default: 8 * 2 ** 20,
} as const;

export function fileLimit(name: string): number {
  return name === 'model.safetensors' || name === 'tokenizer.json' ? FILE_LIMITS[name] : FILE_LIMITS.default;
}

export interface ModelFile {
  /** The path in the model folder, as the user sees it. */
  readonly path: string;
  /** The file it resolves to (itself unless it is a link). */
  readonly real: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

/** The absolute, resolved model folder, refused when it is not a folder. */
export function resolveModelFolder(dir: string): string {
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    throw new GlassboxError('model-missing', `Model folder not found: ${dir}.`);
  }
  if (!statSync(real).isDirectory()) throw new GlassboxError('model-missing', `${dir} is a file; a model is a folder holding config.json, model.safetensors and tokenizer.json.`);
  return real;
}

/** `name` in `folder`, resolved and checked; null when there is no such entry. */
export function modelFile(folder: string, name: string): ModelFile | null {
  const path = join(folder, name);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && lstatSync(path, { throwIfNoEntry: false }) === undefined) return null;
    // A dangling link is not "no file": say so.
    const why = code === 'ENOENT' ? `it links to ${readlinkSync(path)}, which does not exist` : `it cannot be read (${code ?? 'error'})`;
    throw new GlassboxError('model-corrupt', `${path}: ${why}.`);
  }
  const snapshotRoot = huggingFaceRepoFolder(folder);
  if (snapshotRoot !== null && real !== path && !real.startsWith(snapshotRoot + sep)) {
    throw new GlassboxError('model-corrupt', `${path} links to ${real}, outside the Hugging Face cache folder ${snapshotRoot}; Glassbox does not follow it.`);
  }
  const stat = statSync(real);
  if (!stat.isFile()) throw new GlassboxError('model-corrupt', `${path} is not a regular file (${kindOf(stat)}); Glassbox reads only regular files.`);
  if (stat.size > fileLimit(name)) throw new GlassboxError('model-corrupt', `${path} is ${stat.size} bytes, more than any GPT-2 ${name} (at most ${fileLimit(name)}).`);
  return { path, real, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
}

/**
 * What a model folder lacks, saying each file once: the missing ones, and beside them only those it has. A folder
 * with none of them is named as not a model folder (listing the same files as missing and as needed said
 * everything twice).
 */
export function missingFilesMessage(folder: string, required: readonly string[], missing: readonly string[]): string {
  const present = required.filter((name) => !missing.includes(name));
  if (present.length === 0) return `${folder} is not a GPT-2 model folder: it holds none of ${listed(required, 'or')}.`;
  return `${folder} is missing ${listed(missing, 'and')}; a GPT-2 model folder holds ${missing.length === 1 ? 'it' : 'them'} beside ${listed(present, 'and')}.`;
}

function listed(names: readonly string[], last: 'and' | 'or'): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${last} ${names.at(-1)}`;
}

/**
 * Reads a whole file of a model folder (or any text Glassbox is given) after checking it is a regular file
 * under `limit` bytes: through the descriptor it checked, so a file swapped after the check is not read.
 */
export function readBoundedFile(path: string, limit: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer that may never come.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new GlassboxError('bad-request', `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new GlassboxError('bad-request', `${path} is not a regular file (${kindOf(stat)}).`);
    if (stat.size > limit) throw new GlassboxError('bad-request', `${path} is ${stat.size} bytes; Glassbox reads at most ${limit}.`);
    const bytes = Buffer.alloc(stat.size);
    let done = 0;
    while (done < stat.size) {
      const n = readSync(fd, bytes, done, stat.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return bytes.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** `…/models--org--name` when `folder` is `…/models--org--name/snapshots/<rev>`, else null. */
function huggingFaceRepoFolder(folder: string): string | null {
  const snapshots = dirname(folder);
  const repo = dirname(snapshots);
  return basename(snapshots) === 'snapshots' && basename(repo).startsWith('models--') ? repo : null;
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a pipe';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

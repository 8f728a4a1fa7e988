// Where Glassbox keeps derived graphs and downloads. The extension passes its global storage; the CLI takes
// --cache-dir, else $GLASSBOX_CACHE, else $XDG_CACHE_HOME/glassbox, else ~/.cache/glassbox.
//
// An empty value counts as unset (as the XDG spec says of XDG_CACHE_HOME): it must never mean "here", or a
// stray `GLASSBOX_CACHE=` would fill whatever folder the command was started in. A relative path is resolved
// once, against the current folder, and every message names the absolute result.

import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { GlassboxError } from '../../protocol/errors';

/** Pseudo-filesystems whose "folders" are views of the kernel: nothing can be cached there. */
const KERNEL_FILESYSTEMS = ['/proc', '/sys', '/dev'];

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const glassbox = nonEmpty(env.GLASSBOX_CACHE);
  if (glassbox !== undefined) return checkedCacheDir(glassbox, 'GLASSBOX_CACHE');
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  // The XDG spec: a relative XDG_CACHE_HOME is invalid and is to be ignored.
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return checkedCacheDir(join(base, 'glassbox'), 'the default cache folder');
}

/** The cache folder for a --cache-dir value: empty means the default. */
export function cacheDirFromFlag(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const given = nonEmpty(flag);
  return given === undefined ? defaultCacheDir(env) : checkedCacheDir(given, '--cache-dir');
}

/** The absolute form of `dir`, refused when it is a file or lies in a kernel filesystem. */
export function checkedCacheDir(dir: string, from: string): string {
  const absolute = resolve(dir);
  const kernel = KERNEL_FILESYSTEMS.find((k) => absolute === k || absolute.startsWith(`${k}/`));
  if (kernel !== undefined) {
    throw new GlassboxError('bad-request', `${from} is ${absolute}, in ${kernel}, which cannot hold a cache; choose a folder on disk.`);
  }
  let isDirectory: boolean | undefined;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    // Not there yet: created when first written.
  }
  if (isDirectory === false) throw new GlassboxError('bad-request', `${from} is ${absolute}, which is a file, not a folder.`);
  return absolute;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

// One writer of a folder at a time, across processes: two VS Code windows share the extension's global
// storage, and without a lock both would download the same model into the same `.part` files. The lock is a
// file created exclusively, naming its holder's pid; a holder that died leaves it behind, and the next
// caller takes it over.

import { open, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const LOCK_FILE = '.glassbox-lock';
const POLL_MS = 250;
/** A lock file still empty after this long was left by a holder that died before writing its pid. */
const EMPTY_LOCK_STALE_MS = 10_000;

/**
 * Runs `work` holding the lock of `dir` (which must exist), waiting while another process holds it.
 * Rejects with the signal's reason when aborted while waiting.
 */
export async function withFolderLock<T>(dir: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const path = join(dir, LOCK_FILE);
  while (!(await tryTake(path))) {
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder === 'dead') {
      await rm(path, { force: true });
      continue;
    }
    await sleep(POLL_MS, undefined, { signal });
  }
  try {
    return await work();
  } finally {
    await rm(path, { force: true });
  }
}

async function tryTake(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx');
    try {
      await file.writeFile(String(process.pid));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** Whether the lock's holder still runs; 'gone' when the lock was released meanwhile. */
async function readHolder(path: string): Promise<'alive' | 'dead' | 'gone'> {
  let text: string;
  let age: number;
  try {
    [text, age] = await Promise.all([readFile(path, 'utf8'), stat(path).then((s) => Date.now() - s.mtimeMs)]);
  } catch {
    return 'gone';
  }
  const pid = Number(text);
  if (text === '' || !Number.isInteger(pid) || pid <= 0) return age > EMPTY_LOCK_STALE_MS ? 'dead' : 'alive';
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    return 'alive';
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}

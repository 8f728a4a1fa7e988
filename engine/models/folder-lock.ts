// One writer of a folder at a time, across processes: two VS Code windows share the extension's global
// storage, and without a lock both would download the same model into the same `.part` files. The lock is a
// file created exclusively, naming its holder (pid, host and process start time, process-identity.ts): a
// holder that died, or whose pid now belongs to another process, left it behind, and the next caller takes
// it over. The holder touches the file while it works, so a waiter can tell a long download (wait on) from a
// holder it cannot see, such as one on another host (give up after a while, saying how to clear the lock).

import { open, readFile, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GlassboxError } from '../../protocol/errors';
import { currentProcess, isRunning, parseProcessIdentity, type ProcessIdentity } from './process-identity';

export const LOCK_FILE = '.glassbox-lock';
const POLL_MS = 250;
/** A lock file still empty (or half written) after this long was left by a holder that died writing it. */
const UNREADABLE_LOCK_STALE_MS = 10_000;
const DEFAULT_MAX_WAIT_MS = 10 * 60_000;
/**
 * Well below any waiter's patience, so a working holder is never given up on; and under 10 s, because
 * earlier versions, which read only a bare pid, take a lock they cannot read for abandoned once it is 10 s old.
 */
const DEFAULT_HEARTBEAT_MS = 5_000;

/** Who holds a lock, as a waiter sees it. */
export interface LockWait {
  readonly path: string;
  readonly holder: ProcessIdentity;
  /** When the holder took the lock. */
  readonly since: Date;
  /** The same, in a sentence for the user. */
  readonly message: string;
}

export interface FolderLockOptions {
  /** Aborting while waiting rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called when waiting starts, and again if another holder takes over meanwhile. */
  readonly onWait?: (wait: LockWait) => void;
  /**
   * How long to wait for a holder that shows no sign of life (it neither finishes nor touches the lock)
   * before rejecting with a 'timeout' GlassboxError; 10 minutes when absent.
   */
  readonly maxWaitMs?: number;
  /** How often this holder touches the lock while `work` runs; 5 s when absent. */
  readonly heartbeatMs?: number;
}

/** What the lock file says, read at one moment. */
interface LockState {
  readonly text: string;
  readonly ino: number;
  readonly mtimeMs: number;
}

/** Runs `work` holding the lock of `dir` (which must exist), waiting while another live process holds it. */
export async function withFolderLock<T>(dir: string, work: () => Promise<T>, options: FolderLockOptions = {}): Promise<T> {
  const path = join(dir, LOCK_FILE);
  await acquire(path, options);
  const heartbeat = setInterval(() => void utimes(path, new Date(), new Date()).catch(() => undefined), options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    await rm(path, { force: true });
  }
}

async function acquire(path: string, options: FolderLockOptions): Promise<void> {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const pollMs = Math.min(POLL_MS, Math.max(1, maxWaitMs / 4));
  let seen: LockState | undefined;
  let lastSignOfLife = Date.now();
  while (!(await tryTake(path))) {
    const state = await readLock(path);
    if (state === undefined) continue; // released meanwhile
    const wait = holderOf(path, state);
    if (wait === 'stale') {
      await removeIfUnchanged(path, state);
      continue;
    }
    if (seen === undefined || seen.text !== state.text || seen.ino !== state.ino) {
      options.onWait?.(wait);
      lastSignOfLife = Date.now();
    } else if (state.mtimeMs !== seen.mtimeMs) {
      lastSignOfLife = Date.now();
    }
    seen = state;
    if (Date.now() - lastSignOfLife >= maxWaitMs) throw gaveUp(wait, maxWaitMs);
    await sleep(pollMs, undefined, { signal: options.signal });
  }
}

async function tryTake(path: string): Promise<boolean> {
  try {
    const file = await open(path, 'wx');
    try {
      await file.writeFile(JSON.stringify({ ...currentProcess(), since: new Date().toISOString() }));
    } finally {
      await file.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readLock(path: string): Promise<LockState | undefined> {
  try {
    const [text, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, ino: stats.ino, mtimeMs: stats.mtimeMs };
  } catch {
    return undefined;
  }
}

/**
 * The lock's holder while it may still run, or 'stale'. Reads what this module writes (JSON) and what
 * earlier versions wrote (the bare pid, of a process on this host, whose start time nobody recorded).
 */
function holderOf(path: string, state: LockState): LockWait | 'stale' {
  const written = parseLock(state.text);
  if (written === undefined) return Date.now() - state.mtimeMs > UNREADABLE_LOCK_STALE_MS ? 'stale' : unknownHolder(path, state);
  if (!isRunning(written.holder)) return 'stale';
  const since = written.since ?? new Date(state.mtimeMs);
  const host = written.holder.host === hostname() ? '' : ` on ${written.holder.host}`;
  const message = `Waiting for ${path}, held by pid ${written.holder.pid}${host} since ${since.toISOString()} (another Glassbox window or command using this folder).`;
  return { path, holder: written.holder, since, message };
}

function parseLock(text: string): { holder: ProcessIdentity; since: Date | undefined } | undefined {
  if (/^\d+$/.test(text.trim())) {
    const pid = Number(text.trim());
    return pid > 0 ? { holder: { pid, host: hostname(), start: null }, since: undefined } : undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const holder = parseProcessIdentity(json);
  if (holder === null) return undefined;
  const since = new Date(String((json as { since?: unknown }).since));
  return { holder, since: Number.isNaN(since.getTime()) ? undefined : since };
}

/** A lock being written this instant: its holder is not known yet, so it is waited for like any other. */
function unknownHolder(path: string, state: LockState): LockWait {
  const since = new Date(state.mtimeMs);
  return { path, holder: { pid: 0, host: hostname(), start: null }, since, message: `Waiting for ${path}, which another process is taking.` };
}

/**
 * Removes a stale lock only if it is still the one judged stale: two waiters may judge it at once, and the
 * slower one must not remove the lock the faster one has taken since.
 */
async function removeIfUnchanged(path: string, judged: LockState): Promise<void> {
  const now = await readLock(path);
  if (now !== undefined && now.text === judged.text && now.ino === judged.ino) await rm(path, { force: true });
}

function gaveUp(wait: LockWait, maxWaitMs: number): GlassboxError {
  const { path, holder } = wait;
  const who = holder.pid > 0 ? `pid ${holder.pid}${holder.host === hostname() ? '' : ` on ${holder.host}`}` : 'a process that never wrote its pid';
  return new GlassboxError(
    'timeout',
    `Gave up waiting for ${path}: it is held by ${who} since ${wait.since.toISOString()}, which has shown no sign of ` +
      `progress for ${duration(maxWaitMs)}. If no other Glassbox window or command is using this folder, delete ${path} and try again.`,
  );
}

function duration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 100) / 10} s`;
}

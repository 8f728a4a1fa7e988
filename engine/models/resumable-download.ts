// Downloading one file so that its final name only ever holds the whole, verified file. Bytes go to
// `<name>.part`; a dropped connection keeps the .part and the next try asks for the rest with an HTTP Range
// request; only when size and digest match is the .part renamed. On cancel or a failed check the .part is
// deleted: cancel means "I don't want this", and a corrupt prefix must not be resumed.
import { open, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { createContentHasher, hashFilePrefix, type ContentHasher } from './content-hash';
import { HubDownloadError, diskError, onDisk } from './hub-download-error';
import type { HubFile } from './hub-files';
import {
  Attempt,
  TransientFailure,
  cancelledError,
  discardBody,
  hubHeaders,
  hubHost,
  offlineError,
  retrying,
  statusFailure,
  type HubResponse,
  type HubSession,
} from './hub-request';

export interface DownloadTarget {
  readonly file: HubFile;
  readonly url: string;
  /** The final path. */
  readonly dest: string;
}

/** How far one file's .part has got, carried across tries. */
interface PartState {
  readonly path: string;
  /** Bytes of the file on disk in the .part. */
  offset: number;
  /** Fed with exactly the first `offset` bytes; undefined when the Hub listed no digest to check. */
  hasher: ContentHasher | undefined;
  /** The largest `offset` any try reached: a try that passes it made progress. */
  furthest: number;
}

/**
 * Downloads `target.file` to `target.dest`, resuming a .part left by an earlier call. `onBytes` gets the number
 * of bytes of the file on disk after every chunk; it goes back to 0 only if the server ignores Range.
 */
export async function downloadFile(
  session: HubSession,
  target: DownloadTarget,
  onBytes: (received: number) => void,
): Promise<void> {
  const part: PartState = { path: `${target.dest}.part`, offset: 0, hasher: undefined, furthest: 0 };
  part.offset = part.furthest = await partSize(part.path, target.file.size);
  const resumedEarlierCall = part.offset > 0;
  onBytes(part.offset);
  const madeProgress = (): boolean => {
    if (part.offset <= part.furthest) return false;
    part.furthest = part.offset;
    return true;
  };
  const fetchAndVerify = async (): Promise<void> => {
    await retrying(session, () => tryOnce(session, target, part, onBytes), madeProgress);
    await verify(session, target, part);
  };
  try {
    try {
      await fetchAndVerify();
    } catch (error) {
      // A .part left by an earlier call may hold an older version of the file (the revision moved since):
      // that is no reason to fail, so start from nothing once before calling the bytes corrupt.
      if (!resumedEarlierCall || !isCorrupt(error)) throw error;
      await onDisk(part.path, rm(part.path, { force: true }));
      Object.assign(part, { offset: 0, hasher: undefined, furthest: 0 });
      await fetchAndVerify();
    }
    await onDisk(target.dest, rename(part.path, target.dest));
  } catch (error) {
    const cancelled = session.signal?.aborted === true;
    if (cancelled || isCorrupt(error)) {
      await rm(part.path, { force: true });
    }
    throw cancelled ? cancelledError(session) : error;
  }
}

async function tryOnce(
  session: HubSession,
  target: DownloadTarget,
  part: PartState,
  onBytes: (received: number) => void,
): Promise<void> {
  // The .part on disk is the truth: a failed write may have left more or less than we counted.
  part.offset = await partSize(part.path, target.file.size);
  if (part.offset === target.file.size) return;
  // Hash what we keep before asking for the rest, so the stall timer does not run while we read a large prefix.
  part.hasher = await hasherOf(session, target.file, part, part.offset);
  await transfer(session, target, part, onBytes);
}

async function transfer(
  session: HubSession,
  target: DownloadTarget,
  part: PartState,
  onBytes: (received: number) => void,
): Promise<void> {
  const { file } = target;
  const attempt = new Attempt(session);
  let handle: FileHandle | undefined;
  try {
    const range = part.offset > 0 ? { range: `bytes=${part.offset}-` } : undefined;
    const response = await attempt.fetch(target.url, hubHeaders(session, range), file.path);
    const start = await bodyStart(session, response, part, file);
    if (start === 0 && part.offset > 0) {
      // 200 to a Range request: the server sends the whole file, so we start over.
      part.offset = 0;
      part.hasher = file.digest && createContentHasher(file.digest, file.size);
      onBytes(0);
    }
    handle = await onDisk(part.path, open(part.path, part.offset === 0 ? 'w' : 'a'));
    const reader = response.body?.getReader();
    while (reader) {
      const chunk = await attempt.read(reader);
      if (chunk === undefined) break;
      if (part.offset + chunk.length > file.size) {
        throw corrupt(session, file, `the server sent more than the ${file.size} bytes listed`);
      }
      await writeAll(handle, chunk, part.path);
      part.hasher?.update(chunk);
      part.offset += chunk.length;
      onBytes(part.offset);
    }
    if (part.offset < file.size) {
      throw new TransientFailure(offlineError(session, `the connection closed after ${part.offset} bytes`));
    }
    // Flush before the rename makes it the real file: after a power cut the name must not point at a hole.
    await onDisk(part.path, handle.datasync());
  } finally {
    attempt.dispose();
    await handle?.close();
  }
}

/** Where in the file the response body starts, after checking the status and announced length. */
async function bodyStart(session: HubSession, response: HubResponse, part: PartState, file: HubFile): Promise<number> {
  if (response.status === 200) {
    checkLength(session, response, file, 0);
    return 0;
  }
  if (response.status === 206) {
    const range = parseContentRange(response.headers.get('content-range'));
    if (range?.start === part.offset) {
      if (range.total !== undefined && range.total !== file.size) {
        await discardBody(response);
        throw corrupt(session, file, `the server has ${range.total} bytes, the Hub lists ${file.size}`);
      }
      checkLength(session, response, file, part.offset);
      return part.offset;
    }
  }
  await discardBody(response);
  if (response.status === 206 || response.status === 416) {
    // The server cannot continue our .part (a range we did not ask for, or "not satisfiable"): start over.
    await onDisk(part.path, rm(part.path, { force: true }));
    part.offset = 0;
    const host = hubHost(session);
    const message =
      `${host} could not continue the download of ${file.path} (HTTP ${response.status}), even when asked ` +
      `for the whole file. Try again later.`;
    throw new TransientFailure(new HubDownloadError('http', message));
  }
  throw statusFailure(session, response, file.path);
}

/** Content-Length is the length of what follows, so with `start` it must add up to the listed size. */
function checkLength(session: HubSession, response: HubResponse, file: HubFile, start: number): void {
  const encoding = response.headers.get('content-encoding');
  // A compressed body's length says nothing about the file's (we ask for identity, but proxies differ).
  if (encoding !== null && encoding !== 'identity') return;
  const header = response.headers.get('content-length');
  const length = header === null ? NaN : Number(header);
  if (Number.isSafeInteger(length) && start + length !== file.size) {
    throw corrupt(session, file, `the server has ${start + length} bytes, the Hub lists ${file.size}`);
  }
}

/** `bytes 100-199/1000` (RFC 9110 §14.4); the total may be `*` when unknown. */
function parseContentRange(header: string | null): { start: number; total: number | undefined } | undefined {
  const match = header === null ? null : /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(header.trim());
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

async function verify(session: HubSession, target: DownloadTarget, part: PartState): Promise<void> {
  const { file } = target;
  // An empty file needs no transfer at all, but still has to exist under its final name.
  if (file.size === 0) await onDisk(part.path, writeFile(part.path, ''));
  if (!file.digest) return;
  const hasher = await hasherOf(session, file, part, file.size);
  if (!hasher?.matches()) {
    throw corrupt(session, file, `its checksum is not the ${file.digest.algorithm} ${file.digest.hex} the Hub lists`);
  }
}

/** A hasher that has seen the .part's first `length` bytes, reusing the one we have when it has. */
async function hasherOf(
  session: HubSession,
  file: HubFile,
  part: PartState,
  length: number,
): Promise<ContentHasher | undefined> {
  if (!file.digest) return undefined;
  if (part.hasher?.bytes === length) return part.hasher;
  return onDisk(part.path, hashFilePrefix(part.path, file.digest, file.size, length, session.signal));
}

/** Size of an existing .part, or 0. A .part longer than the file cannot be a prefix of it and is dropped. */
async function partSize(path: string, size: number): Promise<number> {
  const stats = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw diskError(path, error);
  });
  if (stats === undefined) return 0;
  if (stats.size <= size) return stats.size;
  await onDisk(path, rm(path, { force: true }));
  return 0;
}

async function writeAll(handle: FileHandle, chunk: Uint8Array, path: string): Promise<void> {
  for (let written = 0; written < chunk.length; ) {
    const { bytesWritten } = await onDisk(path, handle.write(chunk, written, chunk.length - written));
    written += bytesWritten;
  }
}

function isCorrupt(error: unknown): boolean {
  return error instanceof HubDownloadError && error.code === 'corrupt';
}

function corrupt(session: HubSession, file: HubFile, why: string): HubDownloadError {
  const host = hubHost(session);
  return new HubDownloadError(
    'corrupt',
    `${file.path} of ${session.repo} (revision ${session.revision}) did not match what ${host} lists for it: ` +
      `${why}. The download was deleted; try again. If this keeps happening, something between you and ` +
      `${host} (a proxy, antivirus) may be altering downloads.`,
  );
}

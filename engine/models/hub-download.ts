// Getting a model from the Hugging Face Hub into our cache, once: list the model's files with their sizes and
// digests, keep what is already there and verified, download the rest one file at a time (smallest first, so a
// missing file or a refused token shows up before the weights start), and report progress over the whole model.
// With a complete copy on disk the Hub is asked only whether the revision moved; if it cannot be reached the
// copy is used as it is, so a model downloaded once keeps working offline.
// Two processes asking for the same model (two VS Code windows share global storage) take turns through a
// lock file in the model folder: the second finds the first one's files in place.
// Every file the Hub lists a hash for is verified against it; the few it lists none for are checked for size
// and named in the result, so that the user is told rather than assured.
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileMatchesDigest } from './content-hash';
import { HubDownloadError, onDisk } from './hub-download-error';
import { REQUIRED_MODEL_FILES, listModelFiles, resolveUrl, type HubFile } from './hub-files';
import { VerifiedManifest } from './hub-manifest';
import {
  DEFAULT_RETRY_POLICY,
  cancelledError,
  throwIfCancelled,
  type FetchLike,
  type HubSession,
  type RetryPolicy,
} from './hub-request';
import { downloadFile } from './resumable-download';
import { withFolderLock, type LockWait } from './folder-lock';
import { DEFAULT_HUB_ENDPOINT } from '../../protocol/model-messages';

export const DEFAULT_HUB_REVISION = 'main';

export interface HubDownloadProgress {
  /** The file being downloaded, as a path inside the model folder. */
  readonly file: string;
  readonly receivedBytes: number;
  readonly totalBytes: number;
  /** Bytes of the whole model on disk, counting files that were already there before this call. */
  readonly overallReceived: number;
  readonly overallTotal: number;
}

export interface EnsureHubModelOptions {
  /** Hub model id: `owner/name`, or a legacy bare name such as `gpt2`. */
  readonly repo: string;
  /** Branch, tag or commit id; `main` when absent. */
  readonly revision?: string;
  /** `https://huggingface.co` when absent; a mirror serving the same URLs (what HF_ENDPOINT names) works too. */
  readonly endpoint?: string;
  /** The folder models are kept in, such as the extension's global storage. */
  readonly cacheDir: string;
  /** A Hugging Face access token (what HF_TOKEN holds), for private or gated models. */
  readonly token?: string;
  readonly signal?: AbortSignal;
  /**
   * Called as bytes arrive, at most every 100 ms per file plus once when each file starts and ends; never when
   * nothing needs downloading. Counts never go backwards: if a server ignores a resume request and sends a file
   * from its start, the counts hold still until the new transfer passes them.
   */
  readonly onProgress?: (progress: HubDownloadProgress) => void;
  /** Called when another process holds the model folder: who, and since when (LockWait.message says it). */
  readonly onLockWait?: (wait: LockWait) => void;
  /** How long to wait for a lock holder that shows no sign of progress; 10 minutes when absent. */
  readonly lockWaitMs?: number;
  readonly fetchImpl?: FetchLike;
  readonly retry?: Partial<RetryPolicy>;
}

/** A model folder ready to load. */
export interface HubModel {
  readonly dir: string;
  /**
   * Files the Hub listed no hash for (or none we know), so only their size was checked, sorted. The Hub lists
   * one for every file; a mirror or proxy may not. Callers tell the user, who was promised verified files.
   */
  readonly unverified: readonly string[];
}

/** What names a model folder: the model, its revision, and the Hub it came from. */
export type HubModelLocation = Pick<EnsureHubModelOptions, 'repo' | 'revision' | 'endpoint' | 'cacheDir'>;

const PROGRESS_INTERVAL_MS = 100;
/** How long to wait on a silent Hub when a usable copy is already on disk. */
const LOCAL_COPY_PATIENCE_MS = 5_000;
const COMMIT_ID = /^[0-9a-f]{40}$/;

/**
 * Makes sure the model folder for `repo` at `revision` holds every model file the Hub lists, verified where
 * the Hub lists a hash, and returns it. Rejects with a HubDownloadError, or with a 'timeout' GlassboxError
 * when another process holds the folder and shows no sign of progress for `lockWaitMs`. Cancelling deletes the
 * file in flight (files already complete stay); a connection that keeps dropping keeps it as `<name>.part`,
 * and the next call resumes it.
 */
export async function ensureHubModel(options: EnsureHubModelOptions): Promise<HubModel> {
  const session = createSession(options);
  try {
    throwIfCancelled(session);
    const dir = hubModelDir(options);
    await onDisk(dir, mkdir(dir, { recursive: true }));
    // Another window downloading the same model holds the lock; once it is done, this finds the files in place.
    const lock = { signal: session.signal, onWait: options.onLockWait, maxWaitMs: options.lockWaitMs };
    return await withFolderLock(dir, () => completeModelFolder(session, dir, options.onProgress), lock);
  } catch (error) {
    // Cancelling can surface from anywhere (a hash being read, a write); to the caller it is one thing.
    if (session.signal?.aborted) throw cancelledError(session);
    throw error;
  }
}

/** Downloads what the folder lacks of the model's files, verified where they can be, and returns the folder. */
async function completeModelFolder(session: HubSession, dir: string, onProgress: EnsureHubModelOptions['onProgress']): Promise<HubModel> {
  const manifest = await VerifiedManifest.load(dir);
  const files = await listFilesOrUseLocal(session, manifest);
  if (files !== undefined) {
    const missing = await filesToFetch(session, dir, manifest, files);
    const progress = new ProgressReporter(files, missing, onProgress);
    for (const file of missing) {
      progress.start(file);
      const target = { file, url: resolveUrl(session, file.path), dest: join(dir, file.path) };
      await downloadFile(session, target, (received) => progress.received(file, received));
      await onDisk(target.dest, manifest.record(file));
      progress.finish(file);
    }
  }
  // The manifest, not this call's listing: a copy used offline is as unverified as when it was downloaded.
  return { dir, unverified: manifest.unverified() };
}

/**
 * The model folder: `<cacheDir>/<owner>--<name>/<revision>` from the Hub itself, and
 * `<cacheDir>/<owner>--<name>@<endpoint hash>/<revision>` from any other endpoint, which may serve other
 * files under the same name. Throws a 'not-found' HubDownloadError for a name that is not a Hub model id.
 */
export function hubModelDir(location: HubModelLocation): string {
  const { cacheDir, repo, revision = DEFAULT_HUB_REVISION } = location;
  checkNames(repo, revision);
  const endpoint = parseEndpoint(location.endpoint ?? DEFAULT_HUB_ENDPOINT);
  // Hub ids never contain "--" (the Hub forbids it, and huggingface_hub's cache relies on the same rule) nor
  // "@" (isHubModelId), so neither the slash's replacement nor the endpoint's suffix can make two models share
  // a folder.
  // The Hub's own folders keep the name they always had, so copies downloaded earlier stay in use.
  const suffix = endpoint === parseEndpoint(DEFAULT_HUB_ENDPOINT) ? '' : `@${shortHash(endpoint)}`;
  // Revisions may contain slashes (refs/pr/1); percent-encoding keeps them one path segment.
  return join(resolve(cacheDir), repo.replace('/', '--') + suffix, encodeURIComponent(revision));
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * The model's files as the Hub lists them now, or undefined when the copy on disk should be used as it is:
 * the revision is a commit (which never changes), or the Hub cannot be asked.
 */
async function listFilesOrUseLocal(session: HubSession, manifest: VerifiedManifest): Promise<HubFile[] | undefined> {
  const local = await everyPathHeld(manifest, REQUIRED_MODEL_FILES);
  if (local && COMMIT_ID.test(session.revision)) return undefined;
  // With a usable copy, one short try is enough: offline, nobody should wait through back-offs to get it.
  const patient = { attempts: 1, stallMs: Math.min(session.retry.stallMs, LOCAL_COPY_PATIENCE_MS) };
  const asking = local ? { ...session, retry: { ...session.retry, ...patient } } : session;
  try {
    return await listModelFiles(asking);
  } catch (error) {
    if (local && !(error instanceof HubDownloadError && error.code === 'cancelled')) return undefined;
    throw error;
  }
}

async function everyPathHeld(manifest: VerifiedManifest, paths: readonly string[]): Promise<boolean> {
  for (const path of paths) if (!(await manifest.holdsPath(path))) return false;
  return true;
}

/**
 * The files to download, smallest first. A file on disk that the manifest does not vouch for (the manifest was
 * lost, or the file was copied in) is hashed once; one that does not match what the Hub lists now (damaged, or
 * the revision moved) is deleted before anything is downloaded, so the folder never mixes old and new files.
 */
async function filesToFetch(
  session: HubSession,
  dir: string,
  manifest: VerifiedManifest,
  files: readonly HubFile[],
): Promise<HubFile[]> {
  const missing: HubFile[] = [];
  for (const file of files) {
    if (await manifest.holds(file)) continue;
    const path = join(dir, file.path);
    const stats = await stat(path).catch(() => undefined);
    const matches =
      stats?.isFile() === true &&
      stats.size === file.size &&
      (!file.digest || (await onDisk(path, fileMatchesDigest(path, file.digest, file.size, session.signal))));
    if (matches) {
      await onDisk(path, manifest.record(file));
      continue;
    }
    if (stats) await onDisk(path, rm(path, { force: true, recursive: true }));
    await onDisk(dir, manifest.forget(file.path));
    missing.push(file);
  }
  return missing.sort((a, b) => a.size - b.size);
}

function createSession(options: EnsureHubModelOptions): HubSession {
  const revision = options.revision ?? DEFAULT_HUB_REVISION;
  checkNames(options.repo, revision);
  return {
    endpoint: parseEndpoint(options.endpoint ?? DEFAULT_HUB_ENDPOINT),
    repo: options.repo,
    revision,
    token: options.token || undefined,
    fetchImpl: options.fetchImpl ?? fetch,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    signal: options.signal,
  };
}

/** Refuses names that are not the Hub's, before they reach a URL or, worse, a path (`../..`). */
function checkNames(repo: string, revision: string): void {
  if (!isHubModelId(repo)) {
    throw new HubDownloadError(
      'not-found',
      `"${repo}" is not a Hugging Face model id (such as openai-community/gpt2). Check glassbox.model.`,
    );
  }
  if (revision === '' || revision === '.' || revision === '..' || revision.includes('*')) {
    throw new HubDownloadError('not-found', `"${revision}" is not a revision name (such as main).`);
  }
}

/** The Hub's rule for ids, which also keeps them safe as folder names: word characters, '.', '-'. */
function isHubModelId(repo: string): boolean {
  return (
    /^[\w.-]+(\/[\w.-]+)?$/.test(repo) &&
    !repo.includes('--') &&
    !repo.includes('..') &&
    !repo.split('/').some((part) => part.startsWith('.') || part.startsWith('-'))
  );
}

function parseEndpoint(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new HubDownloadError('http', `"${endpoint}" is not an http(s) address of a Hugging Face Hub.`);
  }
  return url.href.replace(/\/+$/, '');
}

/** Turns per-file byte counts into whole-model progress that never goes backwards and is not too chatty. */
class ProgressReporter {
  private readonly overallTotal: number;
  /** Bytes of files that are complete. */
  private done: number;
  /** The most bytes reported for the file in flight. */
  private current = 0;
  private lastReport = 0;

  constructor(
    all: readonly HubFile[],
    missing: readonly HubFile[],
    private readonly listener: ((progress: HubDownloadProgress) => void) | undefined,
  ) {
    this.overallTotal = sum(all);
    this.done = this.overallTotal - sum(missing);
  }

  start(file: HubFile): void {
    this.current = 0;
    this.report(file);
  }

  received(file: HubFile, bytes: number): void {
    if (bytes <= this.current) return;
    this.current = bytes;
    if (bytes === file.size || Date.now() - this.lastReport >= PROGRESS_INTERVAL_MS) this.report(file);
  }

  /** Called once the file is verified and in place: until then a failed check may send it round again. */
  finish(file: HubFile): void {
    this.done += file.size;
    this.current = 0;
  }

  private report(file: HubFile): void {
    this.lastReport = Date.now();
    this.listener?.({
      file: file.path,
      receivedBytes: this.current,
      totalBytes: file.size,
      overallReceived: this.done + this.current,
      overallTotal: this.overallTotal,
    });
  }
}

function sum(files: readonly HubFile[]): number {
  return files.reduce((total, file) => total + file.size, 0);
}

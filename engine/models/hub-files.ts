// Which files make a Glassbox model, and what the Hub says about them. The tree API lists each top-level file
// with its size and id up front (`GET {endpoint}/api/models/{repo}/tree/{revision}`), so we know the total to
// download and the checksum every byte must match before fetching any of it. Entries look like
//   {"type":"file","oid":"<git blob sha1>","size":548105171,"path":"model.safetensors",
//    "lfs":{"oid":"<sha256>","size":548105171,"pointerSize":135}}
// and long listings continue at the URL in the Link header (rel="next"), as huggingface.js's listFiles reads them.
// Nothing the listing says is taken on trust: its pages and bytes are bounded, its links must stay on the Hub,
// and a file larger than any GPT-2 has is refused before a byte of it is fetched.
import type { ContentDigest } from './content-hash';
import { HubDownloadError, LOCAL_MODEL_HINT } from './hub-download-error';
import {
  Attempt,
  discardBody,
  hubHeaders,
  hubHost,
  isHubUrl,
  offHubError,
  retrying,
  statusFailure,
  type HubSession,
} from './hub-request';
import { fileLimit } from './model-folder';

/** What the engine cannot load a model without, from the Hub or from a folder (prepared-model.ts). */
export const REQUIRED_MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** Fetched when the repository has them; older tokenizer code and generation defaults read these. */
export const OPTIONAL_MODEL_FILES = ['tokenizer_config.json', 'vocab.json', 'merges.txt', 'generation_config.json'];

/** One file of the model as the Hub lists it. */
export interface HubFile {
  /** Path inside the repository, which is also the path inside the model folder. */
  readonly path: string;
  readonly size: number;
  /** Undefined when the listing gave no id we recognise: then only the size is checked, and the file is named unverified. */
  readonly digest: ContentDigest | undefined;
}

/** The fields of a tree entry we rely on, after validation. */
export interface HubTreeEntry {
  readonly type: 'file' | 'directory' | 'unknown';
  readonly path: string;
  readonly size: number;
  readonly digest: ContentDigest | undefined;
}

// Beyond these something is wrong (a Link loop, a server that never stops): a model repository's top level
// lists a few dozen files, a few kilobytes of JSON.
const MAX_TREE_PAGES = 50;
const MAX_TREE_BYTES = 4 * 2 ** 20;

export function treeUrl(session: HubSession): string {
  return `${session.endpoint}/api/models/${session.repo}/tree/${encodeURIComponent(session.revision)}`;
}

/** Where the Hub serves a file; for LFS files it redirects to a CDN, which fetch follows. */
export function resolveUrl(session: HubSession, path: string): string {
  const encodedPath = path.split('/').map(encodeURIComponent).join('/');
  return `${session.endpoint}/${session.repo}/resolve/${encodeURIComponent(session.revision)}/${encodedPath}`;
}

/**
 * The model files the repository has, in a fixed order; rejects with not-found if a required one is missing,
 * and with too-large if one is larger than Glassbox would ever read (model-folder.ts's limits).
 */
export async function listModelFiles(session: HubSession): Promise<HubFile[]> {
  const entries = await fetchTree(session);
  const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.path, e]));
  const missing = REQUIRED_MODEL_FILES.filter((path) => !files.has(path));
  if (missing.length > 0) {
    throw new HubDownloadError(
      'not-found',
      `${session.repo} (revision ${session.revision}) on ${hubHost(session)} has no ${missing.join(', ')}. ` +
        `Glassbox needs a GPT-2 style model in the Hugging Face layout. ${LOCAL_MODEL_HINT}`,
    );
  }
  const model = [...REQUIRED_MODEL_FILES, ...OPTIONAL_MODEL_FILES]
    .map((path) => files.get(path))
    .filter((entry) => entry !== undefined)
    .map(({ path, size, digest }) => ({ path, size, digest }));
  for (const file of model) checkSize(session, file);
  return model;
}

function checkSize(session: HubSession, file: HubFile): void {
  const limit = fileLimit(file.path);
  if (file.size <= limit) return;
  throw new HubDownloadError(
    'too-large',
    `${hubHost(session)} lists ${file.path} of ${session.repo} (revision ${session.revision}) at ${file.size} ` +
      `bytes, more than any GPT-2 ${file.path} (at most ${limit}), so Glassbox did not download it. ` +
      `Check glassbox.model. ${LOCAL_MODEL_HINT}`,
  );
}

async function fetchTree(session: HubSession): Promise<HubTreeEntry[]> {
  const entries: HubTreeEntry[] = [];
  let url: string | undefined = treeUrl(session);
  let bytesLeft = MAX_TREE_BYTES;
  for (let page = 0; url !== undefined; page++) {
    if (page === MAX_TREE_PAGES) throw notAFileList(session, `more than ${MAX_TREE_PAGES} pages`);
    const pageUrl: string = url;
    const { json, next, bytes } = await retrying(session, () => fetchTreePage(session, pageUrl, bytesLeft));
    const parsed = parseTreePage(json);
    if (parsed === undefined) throw notAFileList(session, 'not a JSON array');
    entries.push(...parsed);
    bytesLeft -= bytes;
    if (next !== undefined && !isHubUrl(session.endpoint, next)) {
      throw offHubError(session, `continued the file list of ${session.repo} at ${new URL(next).origin}`);
    }
    url = next;
  }
  return entries;
}

async function fetchTreePage(
  session: HubSession,
  url: string,
  maxBytes: number,
): Promise<{ json: unknown; next?: string; bytes: number }> {
  const attempt = new Attempt(session);
  try {
    const response = await attempt.fetch(url, hubHeaders(session, { accept: 'application/json' }), 'the file list');
    if (!response.ok) {
      await discardBody(response);
      throw statusFailure(session, response);
    }
    const body = await attempt.text(response, maxBytes);
    if (body === undefined) throw notAFileList(session, `a listing longer than ${MAX_TREE_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      throw notAFileList(session, 'not JSON');
    }
    return { json, next: nextPageUrl(response.headers.get('link'), url), bytes: Buffer.byteLength(body) };
  } finally {
    attempt.dispose();
  }
}

/**
 * Validates one page of the tree listing. Tolerant of what does not concern us (unknown fields, entry types,
 * entries without a usable size are skipped), strict about what does: a file we keep has a path and a
 * non-negative integer size, and a digest only if it is well-formed hex. Undefined if the page is no array.
 */
export function parseTreePage(json: unknown): HubTreeEntry[] | undefined {
  if (!Array.isArray(json)) return undefined;
  const entries: HubTreeEntry[] = [];
  for (const item of json) {
    const entry = parseTreeEntry(item);
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function parseTreeEntry(item: unknown): HubTreeEntry | undefined {
  if (!isRecord(item) || typeof item.path !== 'string' || item.path === '') return undefined;
  const type = item.type === 'file' || item.type === 'directory' ? item.type : 'unknown';
  const lfs = isRecord(item.lfs) ? item.lfs : undefined;
  // For LFS files the top-level size has always matched lfs.size; prefer the one that describes the content.
  const size = lfs && isByteCount(lfs.size) ? lfs.size : item.size;
  if (!isByteCount(size)) return undefined;
  return { type, path: item.path, size, digest: type === 'file' ? entryDigest(item, lfs) : undefined };
}

function entryDigest(item: Record<string, unknown>, lfs: Record<string, unknown> | undefined): ContentDigest | undefined {
  if (lfs) {
    // An LFS entry's top-level oid is the pointer file's blob id, not the content's: never fall back to it.
    // The tree API names the sha256 `oid` (bare, or `sha256:…` as in the pointer file), the model API `sha256`.
    const sha256 = [lfs.oid, lfs.sha256]
      .map((v) => (typeof v === 'string' ? v.replace(/^sha256:/, '') : v))
      .find((v): v is string => isHex(v, 64));
    return sha256 === undefined ? undefined : { algorithm: 'sha256', hex: sha256.toLowerCase() };
  }
  return isHex(item.oid, 40) ? ({ algorithm: 'git-blob-sha1', hex: item.oid.toLowerCase() } as const) : undefined;
}

/** The rel="next" target of an RFC 8288 Link header, resolved against the page it came with. */
export function nextPageUrl(link: string | null, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (match && /;\s*rel\s*=\s*"?next"?\s*(;|$)/i.test(match[2])) return new URL(match[1], base).href;
  }
  return undefined;
}

function notAFileList(session: HubSession, why: string): HubDownloadError {
  const host = hubHost(session);
  return new HubDownloadError(
    'http',
    `${host} did not answer with a file list for ${session.repo} (${why}). If a proxy or captive portal sits ` +
      `between you and ${host}, sign in to it and try again. ${LOCAL_MODEL_HINT}`,
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isHex(value: unknown, length: number): value is string {
  return typeof value === 'string' && value.length === length && /^[0-9a-f]+$/i.test(value);
}

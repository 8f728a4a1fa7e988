// A fake Hugging Face Hub on 127.0.0.1 for download tests: it answers at the real Hub's URLs (a paginated
// tree listing, resolve URLs that redirect LFS files to the Hub's CDN) and can misbehave on cue — drop a
// connection mid-file, ignore Range, answer 5xx, trickle bytes, serve wrong or endless bytes, redirect
// elsewhere. `hub.route()` is the fetch to download with: it delivers the Hub's CDN hosts to the fake CDN and
// refuses every other host that is not 127.0.0.1, so nothing here reaches the internet even when the code
// under test goes wrong.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HubDownloadError, type HubErrorCode } from '../../engine/models/hub-download-error';
import type { FetchLike } from '../../engine/models/hub-request';

export const REPO = 'test-org/tiny-gpt2';

/** A model in the Hub layout; random bytes stand in for real content, which the downloader never parses. */
export const MODEL_FILES: Record<string, Buffer> = {
  'config.json': Buffer.from(JSON.stringify({ model_type: 'gpt2', n_layer: 2, n_head: 2, n_embd: 8 })),
  'tokenizer_config.json': Buffer.from('{"model_max_length": 1024}'),
  'tokenizer.json': randomBytes(200_000),
  'vocab.json': randomBytes(50_000),
  'merges.txt': randomBytes(30_000),
  'model.safetensors': randomBytes(400_000),
};
export const LFS_FILES = new Set(['model.safetensors']);
export const MODEL_BYTES = Object.values(MODEL_FILES).reduce((n, b) => n + b.length, 0);

/** Where the fake Hub redirects LFS files, as the real one does; `route()` delivers it to the fake CDN. */
export const CDN_ORIGIN = 'https://cdn-lfs.huggingface.co';
const CDN_HOSTS = new Set(['cdn-lfs.huggingface.co', 'cdn-lfs-us-1.huggingface.co', 'cas-bridge.xethub.hf.co']);

/** Fast back-off so retries cost milliseconds; the stall timeout stays well above any delay the server makes. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 1, maxDelayMs: 5, stallMs: 2_000 };

export type Fault =
  /** Answer with this status instead of the file. */
  | { kind: 'status'; status: number; headers?: Record<string, string> }
  /** Send the headers and this many bytes of the body, then cut the connection. */
  | { kind: 'drop'; afterBytes: number }
  /** Answer 200 with the whole file, as servers that do not support Range do. */
  | { kind: 'ignore-range' }
  /** Send the headers and this many bytes of the body, then nothing more, keeping the connection open. */
  | { kind: 'stall'; afterBytes: number }
  /** Send `chunkBytes` every `delayMs`. */
  | { kind: 'slow'; chunkBytes: number; delayMs: number }
  /** Serve these bytes (with their own, honest Content-Length, and these headers) instead of the file. */
  | { kind: 'body'; body: Buffer; headers?: Record<string, string> }
  /** Redirect to this URL instead of answering. */
  | { kind: 'redirect'; location: string }
  /** Answer 200 without a Content-Length and send bytes until the client goes away. */
  | { kind: 'endless' }
  /** Announce this Content-Length, then send the file. */
  | { kind: 'claims'; contentLength: number };

export interface SeenRequest {
  readonly server: 'hub' | 'cdn';
  readonly path: string;
  /** The file whose bytes were asked for, or 'tree'. */
  readonly target: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
  /** The port the request's connection came from. */
  readonly fromPort: number | undefined;
}

/** One entry of /api/models/{repo}/tree/{revision}, as the Hub writes it. */
export interface TreeEntry {
  type: 'file' | 'directory';
  oid?: string;
  size: number;
  path: string;
  lfs?: { oid?: string; sha256?: string; size: number; pointerSize: number };
  xetHash?: string;
}

export interface FakeHubOptions {
  /** Entries per tree page; the real Hub pages long listings with a Link header. */
  readonly treePageSize?: number;
  /** Changes the listing before it is served: drops hashes, inflates sizes. */
  readonly editTree?: (entries: TreeEntry[]) => TreeEntry[];
  /** false: serve LFS files from the Hub itself, without a redirect to the CDN, as a plain mirror may. */
  readonly cdn?: boolean;
}

/** The Hub at its real URL shapes, plus the CDN that LFS resolve URLs redirect to. */
export class FakeHub {
  readonly requests: SeenRequest[] = [];
  /** URLs `route()` refused because they were neither on 127.0.0.1 nor the Hub's CDN: the internet. */
  readonly offHost: string[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private hub!: Server;
  private cdn!: Server;
  hubUrl = '';
  cdnUrl = '';

  private constructor(
    private readonly files: Record<string, Buffer>,
    private readonly options: FakeHubOptions,
  ) {}

  static async start(files: Record<string, Buffer> = MODEL_FILES, options: FakeHubOptions = {}): Promise<FakeHub> {
    const hub = new FakeHub(files, options);
    hub.hub = createServer((req, res) => hub.onHub(req, res));
    hub.cdn = createServer((req, res) => hub.onCdn(req, res));
    hub.hubUrl = await listen(hub.hub);
    hub.cdnUrl = await listen(hub.cdn);
    return hub;
  }

  /** Queues faults for the next requests for `target` (a file path, or 'tree'), one per request. */
  fault(target: string, ...faults: Fault[]): void {
    this.faults.set(target, [...(this.faults.get(target) ?? []), ...faults]);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** `fetchImpl` (Node's fetch when absent) with the Hub's CDN hosts sent to the fake CDN, and no internet. */
  route(fetchImpl: FetchLike = fetch): FetchLike {
    return async (url, init) => {
      const parsed = new URL(url);
      if (CDN_HOSTS.has(parsed.hostname) && parsed.protocol === 'https:') {
        return fetchImpl(`${this.cdnUrl}${parsed.pathname}${parsed.search}`, init);
      }
      if (parsed.hostname === '127.0.0.1') return fetchImpl(url, init);
      this.offHost.push(url);
      throw new TypeError('fetch failed', { cause: new Error(`the test refused to reach ${parsed.host}`) });
    };
  }

  /** Requests that asked for file bytes (resolve without redirect, or the CDN). */
  byteRequests(target?: string): SeenRequest[] {
    // An LFS file's resolve request only redirects: its bytes come from the CDN.
    const servesBytes = (r: SeenRequest): boolean => r.server === 'cdn' || !LFS_FILES.has(r.target);
    return this.requests.filter((r) => r.target !== 'tree' && servesBytes(r) && (!target || r.target === target));
  }

  async close(): Promise<void> {
    for (const server of [this.hub, this.cdn]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  }

  private onHub(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.hubUrl);
    const tree = `/api/models/${REPO}/tree/`;
    const resolve = `/${REPO}/resolve/`;
    if (url.pathname.startsWith(tree)) {
      this.seen(req, 'hub', 'tree');
      const fault = this.takeFault('tree');
      if (fault === undefined) return this.serveTree(url, res);
      return serveFault(res, fault, Buffer.from(JSON.stringify(this.treeEntries())));
    }
    if (url.pathname.startsWith(resolve)) {
      const [revision, ...rest] = url.pathname.slice(resolve.length).split('/');
      const path = rest.map(decodeURIComponent).join('/');
      this.seen(req, 'hub', path);
      const data = this.files[path];
      if (!revision || data === undefined) {
        return void res.writeHead(404, { 'x-error-code': 'EntryNotFound' }).end('Entry not found');
      }
      if (LFS_FILES.has(path) && this.options.cdn !== false) {
        // As the Hub does: LFS content lives on a CDN under its sha256, and Range travels with the redirect.
        return void res.writeHead(302, { location: `${CDN_ORIGIN}/blobs/${sha256(data)}` }).end();
      }
      return serveBytes(req, res, data, this.takeFault(path));
    }
    // The Hub hides whether a repository exists from anonymous callers: 401, with the reason in a header.
    this.seen(req, 'hub', url.pathname);
    res.writeHead(401, { 'x-error-code': 'RepoNotFound' }).end('Repository not found');
  }

  private onCdn(req: IncomingMessage, res: ServerResponse): void {
    const hash = (req.url ?? '').replace('/blobs/', '');
    const path = Object.keys(this.files).find((p) => sha256(this.files[p]) === hash) ?? hash;
    this.seen(req, 'cdn', path);
    const data = this.files[path];
    if (data === undefined) return void res.writeHead(404).end();
    serveBytes(req, res, data, this.takeFault(path));
  }

  private serveTree(url: URL, res: ServerResponse): void {
    const entries = this.treeEntries();
    const pageSize = this.options.treePageSize ?? 4;
    const start = Number(url.searchParams.get('cursor') ?? 0);
    const end = start + pageSize;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (end < entries.length) {
      const next = new URL(url.pathname, this.hubUrl);
      next.searchParams.set('cursor', String(end));
      headers.link = `<${next.href}>; rel="next"`;
    }
    res.writeHead(200, headers).end(JSON.stringify(entries.slice(start, end)));
  }

  /** What /api/models/{repo}/tree/{revision} answers: files with git blob ids, LFS files with their sha256. */
  private treeEntries(): TreeEntry[] {
    const entries: TreeEntry[] = [
      { type: 'file', oid: gitBlobId(Buffer.from('*.safetensors filter=lfs\n')), size: 25, path: '.gitattributes' },
      { type: 'directory', oid: 'f'.repeat(40), size: 0, path: 'onnx' },
    ];
    for (const [path, data] of Object.entries(this.files)) {
      if (LFS_FILES.has(path)) {
        const lfs = { oid: sha256(data), size: data.length, pointerSize: 134 };
        entries.push({ type: 'file', oid: 'e'.repeat(40), size: data.length, path, lfs, xetHash: 'ab'.repeat(32) });
      } else {
        entries.push({ type: 'file', oid: gitBlobId(data), size: data.length, path });
      }
    }
    return this.options.editTree?.(entries) ?? entries;
  }

  private seen(req: IncomingMessage, server: 'hub' | 'cdn', target: string): void {
    this.requests.push({
      server,
      path: req.url ?? '',
      target,
      range: req.headers.range,
      authorization: req.headers.authorization,
      fromPort: req.socket.remotePort,
    });
  }

  private takeFault(target: string): Fault | undefined {
    return this.faults.get(target)?.shift();
  }
}

function serveBytes(req: IncomingMessage, res: ServerResponse, data: Buffer, fault: Fault | undefined): void {
  if (fault?.kind === 'status' || fault?.kind === 'redirect' || fault?.kind === 'endless' || fault?.kind === 'claims') {
    return serveFault(res, fault, data);
  }
  const body = fault?.kind === 'body' ? fault.body : data;
  const match = fault?.kind === 'ignore-range' ? null : /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = match ? Number(match[1]) : 0;
  if (match && start >= body.length) {
    return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
  }
  const rest = body.subarray(start);
  const headers: Record<string, string> = { 'content-length': String(rest.length), 'accept-ranges': 'bytes' };
  if (match) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
  res.writeHead(match ? 206 : 200, headers);
  if (fault?.kind === 'drop') return void res.write(rest.subarray(0, fault.afterBytes), () => res.destroy());
  if (fault?.kind === 'slow') return trickle(res, rest, fault.chunkBytes, fault.delayMs);
  if (fault?.kind === 'stall') return void res.write(rest.subarray(0, fault.afterBytes));
  res.end(rest);
}

/** The faults that need no Range handling, for a file or for the listing; `data` is what would be served. */
function serveFault(res: ServerResponse, fault: Fault, data: Buffer): void {
  switch (fault.kind) {
    case 'status':
      return void res.writeHead(fault.status, fault.headers).end('error');
    case 'redirect':
      return void res.writeHead(302, { location: fault.location }).end();
    case 'body':
      return void res.writeHead(200, { 'content-length': String(fault.body.length), ...fault.headers }).end(fault.body);
    case 'endless':
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      return flood(res);
    case 'claims':
      return void res.writeHead(200, { 'content-length': String(fault.contentLength) }).write(data, () => res.destroy());
    case 'stall':
      return void res.writeHead(200, { 'content-length': String(data.length) }).write(data.subarray(0, fault.afterBytes));
    default:
      return void res.writeHead(200, { 'content-length': String(data.length) }).end(data);
  }
}

/** Writes 64 kB chunks as fast as the client reads them, until it hangs up. */
function flood(res: ServerResponse): void {
  const chunk = Buffer.alloc(65_536, 0x5b); // '[' over and over: neither valid JSON nor ever finished
  const write = (): void => {
    while (!res.destroyed && res.write(chunk));
    if (!res.destroyed) res.once('drain', write);
  };
  write();
}

function trickle(res: ServerResponse, bytes: Buffer, chunkBytes: number, delayMs: number): void {
  let sent = 0;
  const timer = setInterval(() => {
    res.write(bytes.subarray(sent, sent + chunkBytes));
    sent += chunkBytes;
    if (sent >= bytes.length) {
      clearInterval(timer);
      res.end();
    }
  }, delayMs);
  res.on('close', () => clearInterval(timer));
}

export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function gitBlobId(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export async function rejectsWithCode(promise: Promise<unknown>, code: HubErrorCode): Promise<HubDownloadError> {
  const error = await promise.then(
    () => assert.fail(`expected a '${code}' error`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof HubDownloadError, `expected a HubDownloadError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

// ensureHubModel against a fake Hub on 127.0.0.1 (fake-hub.ts) that answers at the real Hub's URLs and can
// misbehave on cue: drop a connection mid-file, ignore Range, answer 5xx, trickle bytes, or serve the wrong
// bytes. Nothing here touches the internet.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  ensureHubModel,
  hubModelDir,
  type EnsureHubModelOptions,
  type HubDownloadProgress,
} from '../../engine/models/hub-download';
import { HubDownloadError } from '../../engine/models/hub-download-error';
import { nextPageUrl, parseTreePage } from '../../engine/models/hub-files';
import { fetchThroughProxy } from '../../engine/models/hub-proxy';
import { MANIFEST_FILE } from '../../engine/models/hub-manifest';
import { LOCK_FILE } from '../../engine/models/folder-lock';
import { FAST_RETRY, FakeHub, MODEL_BYTES, MODEL_FILES, REPO, listen, rejectsWithCode, type Fault } from './fake-hub';

/** The Proxy-Authorization of user "user", password "secret". */
const BASIC_USER_SECRET = `Basic ${Buffer.from('user:secret').toString('base64')}`;

/** An HTTP proxy that tunnels CONNECT requests, as corporate proxies do; it remembers what it connected. */
class ConnectProxy {
  /** host:port of every tunnel asked for. */
  readonly tunnels: string[] = [];
  /** Local ports of the proxy's own connections to the servers. */
  readonly ports = new Set<number>();
  /** CONNECT requests refused for want of the credentials it was started with. */
  refused = 0;
  url = '';

  private constructor(private readonly server: Server) {}

  /** `credentials`: the Proxy-Authorization a tunnel needs, as a corporate proxy asks for a login. */
  static async start(credentials?: string): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(createServer((_req, res) => res.writeHead(405).end()));
    proxy.server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      if (credentials !== undefined && req.headers['proxy-authorization'] !== credentials) {
        proxy.refused++;
        return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="corp"\r\n\r\n');
      }
      const target = req.url ?? '';
      proxy.tunnels.push(target);
      const [host, port] = target.split(':');
      const upstream = connect(Number(port), host, () => {
        proxy.ports.add(upstream.localPort ?? -1);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      for (const socket of [client, upstream]) socket.on('error', () => (client.destroy(), upstream.destroy()));
    });
    proxy.url = await listen(proxy.server);
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Per file and overall, counts never go backwards, and the last event says the whole model is there. */
function assertProgressComplete(events: readonly HubDownloadProgress[]): void {
  assert.ok(events.length > 0, 'no progress events');
  const perFile = new Map<string, number>();
  let overall = 0;
  for (const event of events) {
    assert.ok(event.overallReceived >= overall, `overall went back: ${overall} -> ${event.overallReceived}`);
    assert.ok(event.receivedBytes >= (perFile.get(event.file) ?? 0), `${event.file} went back`);
    assert.ok(event.receivedBytes <= event.totalBytes && event.overallReceived <= event.overallTotal);
    overall = event.overallReceived;
    perFile.set(event.file, event.receivedBytes);
  }
  const last = events[events.length - 1];
  assert.equal(last.overallReceived, last.overallTotal);
  assert.equal(last.overallTotal, MODEL_BYTES);
}

describe('ensureHubModel', () => {
  let hub: FakeHub;
  let cacheDir: string;
  let progress: HubDownloadProgress[];

  beforeEach(async () => {
    hub = await FakeHub.start();
    cacheDir = await mkdtemp(join(tmpdir(), 'glassbox-hub-'));
    progress = [];
  });

  afterEach(async () => {
    await hub.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  function options(extra: Partial<EnsureHubModelOptions> = {}): EnsureHubModelOptions {
    return {
      repo: REPO,
      endpoint: hub.hubUrl,
      cacheDir,
      retry: FAST_RETRY,
      onProgress: (p) => progress.push(p),
      fetchImpl: hub.route(),
      ...extra,
    };
  }

  async function assertModelFolder(dir: string): Promise<void> {
    for (const [path, data] of Object.entries(MODEL_FILES)) {
      assert.ok((await readFile(join(dir, path))).equals(data), `${path} differs`);
    }
    const names = await readdir(dir);
    assert.deepEqual(names.filter((n) => n.endsWith('.part')), [], 'a .part was left behind');
  }

  test('downloads every model file the Hub lists into <cacheDir>/<owner>--<name>@<endpoint>/<revision>', async () => {
    const { dir, unverified } = await ensureHubModel(options());

    assert.match(dir, /[/\\]test-org--tiny-gpt2@[0-9a-f]{12}[/\\]main$/);
    assert.equal(dir, hubModelDir(options()));
    assert.deepEqual(unverified, [], 'the Hub lists a hash for every file');
    await assertModelFolder(dir);
    // Only model files: not .gitattributes, not folders, not optional files the repository lacks.
    assert.deepEqual((await readdir(dir)).sort(), [...Object.keys(MODEL_FILES), MANIFEST_FILE].sort());
    // The listing came in pages, following the Link header.
    assert.ok(hub.requests.filter((r) => r.target === 'tree').length > 1);
    assertProgressComplete(progress);
  });

  test('sends the token to the Hub but not to the CDN its redirects lead to', async () => {
    await ensureHubModel(options({ token: 'hf_test' }));

    const fromHub = hub.requests.filter((r) => r.server === 'hub');
    const fromCdn = hub.requests.filter((r) => r.server === 'cdn');
    assert.ok(fromHub.length > 0 && fromCdn.length > 0);
    assert.ok(fromHub.every((r) => r.authorization === 'Bearer hf_test'));
    assert.ok(fromCdn.every((r) => r.authorization === undefined));
  });

  test('through a proxy, every request to the Hub and to its CDN goes through a CONNECT tunnel', async () => {
    const proxy = await ConnectProxy.start();
    try {
      const { dir } = await ensureHubModel(options({ fetchImpl: hub.route(fetchThroughProxy({ url: proxy.url, strictSSL: true })) }));
      await assertModelFolder(dir);
      assert.deepEqual(new Set(proxy.tunnels), new Set([new URL(hub.hubUrl).host, new URL(hub.cdnUrl).host]));
      assert.ok(hub.requests.length > 0 && hub.requests.every((r) => r.fromPort !== undefined && proxy.ports.has(r.fromPort)), 'a request bypassed the proxy');
    } finally {
      await proxy.close();
    }
  });

  test('a proxy that wants credentials is named as the problem', async () => {
    const proxy = await ConnectProxy.start(BASIC_USER_SECRET);
    try {
      const error = await rejectsWithCode(ensureHubModel(options({ fetchImpl: hub.route(fetchThroughProxy({ url: proxy.url, strictSSL: true })) })), 'http');
      assert.match(error.message, /^The proxy 127\.0\.0\.1:\d+ refused to connect to 127\.0\.0\.1:\d+ \(HTTP 407\): it asks for credentials\. Put them in the http\.proxy setting/);
      // Asked once, not retried: a proxy does not change its mind.
      assert.equal(proxy.refused, 1);
      assert.equal(hub.requests.length, 0);
    } finally {
      await proxy.close();
    }
  });

  test('credentials reach the proxy from the proxy URL or from http.proxyAuthorization', async () => {
    const proxy = await ConnectProxy.start(BASIC_USER_SECRET);
    try {
      const inUrl = proxy.url.replace('http://', 'http://user:secret@');
      await assertModelFolder((await ensureHubModel(options({ fetchImpl: hub.route(fetchThroughProxy({ url: inUrl, strictSSL: true })) }))).dir);
      await rm(cacheDir, { recursive: true, force: true });
      await assertModelFolder((await ensureHubModel(options({ fetchImpl: hub.route(fetchThroughProxy({ url: proxy.url, strictSSL: true, authorization: BASIC_USER_SECRET })) }))).dir);
      assert.equal(proxy.refused, 0);
    } finally {
      await proxy.close();
    }
  });

  test('a second call finds everything in place and downloads nothing', async () => {
    await ensureHubModel(options());
    hub.requests.length = 0;
    progress = [];

    const { dir } = await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.deepEqual(hub.byteRequests(), []);
    assert.deepEqual(progress, [], 'nothing to download, nothing to report');
  });

  test('a complete model works offline', async () => {
    const { dir } = await ensureHubModel(options());
    await hub.close();

    assert.equal((await ensureHubModel(options({ retry: { ...FAST_RETRY, baseDelayMs: 5_000 } }))).dir, dir);
  });

  test('a complete model is used when the Hub does not answer', async () => {
    const { dir } = await ensureHubModel(options());
    hub.fault('tree', { kind: 'stall', afterBytes: 0 });

    assert.equal((await ensureHubModel(options({ retry: { ...FAST_RETRY, stallMs: 100 } }))).dir, dir);
  });

  test('a model pinned to a commit is not asked about again', async () => {
    const revision = 'a'.repeat(40);
    await ensureHubModel(options({ revision }));
    hub.requests.length = 0;

    await ensureHubModel(options({ revision }));

    assert.deepEqual(hub.requests, []);
  });

  test('a lost manifest costs a re-hash, not a download', async () => {
    const { dir } = await ensureHubModel(options());
    await rm(join(dir, MANIFEST_FILE));
    hub.requests.length = 0;

    await ensureHubModel(options());

    assert.deepEqual(hub.byteRequests(), []);
    assert.ok(existsSync(join(dir, MANIFEST_FILE)));
  });

  test('a damaged file is downloaded again, and only that file', async () => {
    const { dir } = await ensureHubModel(options());
    await writeFile(join(dir, 'tokenizer.json'), randomBytes(MODEL_FILES['tokenizer.json'].length));
    hub.requests.length = 0;

    await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.deepEqual(
      hub.byteRequests().map((r) => r.target),
      ['tokenizer.json'],
    );
  });

  test('resumes a dropped connection with a Range request, byte for byte', async () => {
    hub.fault('model.safetensors', { kind: 'drop', afterBytes: 150_000 });

    const { dir } = await ensureHubModel(options());

    await assertModelFolder(dir);
    const [first, second] = hub.byteRequests('model.safetensors');
    assert.equal(first.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(second.range ?? '')?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 150_000, `resumed at ${second.range}`);
    assertProgressComplete(progress);
  });

  test('abandons a transfer that stalls and resumes it', async () => {
    hub.fault('model.safetensors', { kind: 'stall', afterBytes: 150_000 });

    const { dir } = await ensureHubModel(options({ retry: { ...FAST_RETRY, stallMs: 100 } }));

    await assertModelFolder(dir);
    assert.match(hub.byteRequests('model.safetensors')[1].range ?? '', /^bytes=[1-9]\d*-$/);
  });

  test('starts the file over when the server ignores Range, and progress holds still meanwhile', async () => {
    hub.fault('model.safetensors', { kind: 'drop', afterBytes: 150_000 }, { kind: 'ignore-range' });

    const { dir } = await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.ok(hub.byteRequests('model.safetensors')[1].range?.startsWith('bytes='));
    assertProgressComplete(progress);
  });

  test('retries 5xx answers with back-off, then succeeds', async () => {
    hub.fault('tree', { kind: 'status', status: 503, headers: { 'retry-after': '0' } });
    hub.fault('tokenizer.json', { kind: 'status', status: 500 }, { kind: 'status', status: 502 });

    const { dir } = await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.equal(hub.byteRequests('tokenizer.json').length, 3);
  });

  test('a .part from an earlier call that does not fit the file is started over, not reported corrupt', async () => {
    // As after the revision moved while a download was interrupted: the kept prefix belongs to other bytes.
    const dir = hubModelDir(options());
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'model.safetensors.part'), randomBytes(100_000));

    await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.deepEqual(
      hub.byteRequests('model.safetensors').map((r) => r.range),
      ['bytes=100000-', undefined],
    );
    assertProgressComplete(progress);
  });

  test("gives up with 'http' when the 5xx answers do not stop", async () => {
    hub.fault('config.json', ...Array<Fault>(FAST_RETRY.attempts).fill({ kind: 'status', status: 500 }));

    const error = await rejectsWithCode(ensureHubModel(options()), 'http');

    assert.match(error.message, /HTTP 500/);
    assert.equal(hub.byteRequests('config.json').length, FAST_RETRY.attempts);
  });

  test("a connection that keeps dropping ends in 'offline', and the next call resumes the .part", async () => {
    // The first try gets 100 kB and no later one gets further: retries are counted only while nothing moves.
    const stuck = Array<Fault>(FAST_RETRY.attempts).fill({ kind: 'drop', afterBytes: 0 });
    hub.fault('model.safetensors', { kind: 'drop', afterBytes: 100_000 }, ...stuck);
    const dir = hubModelDir(options());

    const error = await rejectsWithCode(ensureHubModel(options()), 'offline');

    assert.match(error.message, /Set glassbox\.model to a local folder/);
    assert.ok(existsSync(join(dir, 'model.safetensors.part')), 'the .part is kept for a later resume');
    assert.ok(!existsSync(join(dir, 'model.safetensors')));
    hub.clearFaults();
    hub.requests.length = 0;

    await ensureHubModel(options());

    await assertModelFolder(dir);
    assert.match(hub.byteRequests('model.safetensors')[0].range ?? '', /^bytes=[1-9]\d*-$/);
  });

  test('cancelling stops promptly, keeps finished files and leaves no partial file', async () => {
    hub.fault('model.safetensors', { kind: 'slow', chunkBytes: 1_000, delayMs: 10 });
    const controller = new AbortController();
    let abortedAt = 0;
    const download = ensureHubModel(
      options({
        signal: controller.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.receivedBytes > 0 && !abortedAt) {
            abortedAt = performance.now();
            controller.abort();
          }
        },
      }),
    );

    await rejectsWithCode(download, 'cancelled');

    assert.ok(performance.now() - abortedAt < 500, 'cancel took too long');
    const dir = hubModelDir(options());
    assert.ok(!existsSync(join(dir, 'model.safetensors')));
    assert.ok(!existsSync(join(dir, 'model.safetensors.part')));
    assert.ok((await readFile(join(dir, 'config.json'))).equals(MODEL_FILES['config.json']));
  });

  test('two windows asking for the same model at once download each file once, and both get it', async () => {
    hub.fault('model.safetensors', { kind: 'slow', chunkBytes: 1_000, delayMs: 2 });
    const [a, b] = await Promise.all([ensureHubModel(options()), ensureHubModel(options({ onProgress: undefined }))]);

    assert.deepEqual(a, b);
    await assertModelFolder(a.dir);
    for (const path of Object.keys(MODEL_FILES)) assert.equal(hub.byteRequests(path).length, 1, `${path} was fetched more than once`);
    assert.ok(!existsSync(join(a.dir, LOCK_FILE)), 'the lock is released');
  });

  test('a lock left by a process that died is taken over', async () => {
    const dir = hubModelDir(options());
    await mkdir(dir, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // has exited by now
    await writeFile(join(dir, LOCK_FILE), String(dead));

    await assertModelFolder((await ensureHubModel(options())).dir);
  });

  test('cancelling while another process holds the lock stops promptly, without a request', async () => {
    const dir = hubModelDir(options());
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LOCK_FILE), String(process.pid)); // alive: this very process
    const controller = new AbortController();
    const waiting = ensureHubModel(options({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();

    await rejectsWithCode(waiting, 'cancelled');
    assert.ok(performance.now() - started < 600, 'cancel took too long');
    assert.deepEqual(hub.requests, []);
    assert.ok(existsSync(join(dir, LOCK_FILE)), "the other process's lock is left alone");
  });

  test('an already-aborted signal rejects before any request', async () => {
    await rejectsWithCode(ensureHubModel(options({ signal: AbortSignal.abort() })), 'cancelled');
    assert.deepEqual(hub.requests, []);
  });

  for (const path of ['model.safetensors', 'config.json']) {
    test(`bytes that do not match the listed checksum are 'corrupt' and never get a final name: ${path}`, async () => {
      const wrong = Buffer.from(MODEL_FILES[path]);
      wrong[wrong.length >> 1] ^= 0xff;
      hub.fault(path, { kind: 'body', body: wrong });

      const error = await rejectsWithCode(ensureHubModel(options()), 'corrupt');

      assert.match(error.message, new RegExp(path.replace('.', '\\.')));
      const dir = hubModelDir(options());
      assert.ok(!existsSync(join(dir, path)));
      assert.ok(!existsSync(join(dir, `${path}.part`)));
    });
  }

  test("a file of the wrong size is 'corrupt'", async () => {
    hub.fault('model.safetensors', { kind: 'body', body: MODEL_FILES['model.safetensors'].subarray(1_000) });

    const error = await rejectsWithCode(ensureHubModel(options()), 'corrupt');

    assert.match(error.message, /399000 bytes/);
    assert.ok(!existsSync(join(hubModelDir(options()), 'model.safetensors')));
  });

  test("an unknown model is 'not-found'", async () => {
    await rejectsWithCode(ensureHubModel(options({ repo: 'test-org/no-such-model' })), 'not-found');
  });

  test('a refused token is said to be the problem', async () => {
    hub.fault('tree', { kind: 'status', status: 401 });

    const error = await rejectsWithCode(ensureHubModel(options({ token: 'hf_expired' })), 'http');

    assert.match(error.message, /refused the Hugging Face token/);
  });

  test("a file the listing promises but the server lacks is 'not-found'", async () => {
    hub.fault('merges.txt', { kind: 'status', status: 404, headers: { 'x-error-code': 'EntryNotFound' } });

    const error = await rejectsWithCode(ensureHubModel(options()), 'not-found');

    assert.match(error.message, /merges\.txt/);
  });

  test('a repository without tokenizer_config.json downloads what it has', async () => {
    const withoutConfig = Object.fromEntries(Object.entries(MODEL_FILES).filter(([p]) => p !== 'tokenizer_config.json'));
    await hub.close();
    hub = await FakeHub.start(withoutConfig);

    const { dir } = await ensureHubModel(options({ endpoint: hub.hubUrl }));
    assert.deepEqual((await readdir(dir)).sort(), [...Object.keys(withoutConfig), MANIFEST_FILE].sort());
  });

  test("a repository without the required files is 'not-found', naming them", async () => {
    const withoutTokenizer = Object.fromEntries(Object.entries(MODEL_FILES).filter(([p]) => p !== 'tokenizer.json'));
    await hub.close();
    hub = await FakeHub.start(withoutTokenizer);

    const error = await rejectsWithCode(ensureHubModel(options({ endpoint: hub.hubUrl })), 'not-found');

    assert.match(error.message, /tokenizer\.json/);
    assert.deepEqual(hub.byteRequests(), []);
  });

  test("a refused connection is 'offline', with what to do about it", async () => {
    const closed = createServer();
    const endpoint = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));

    const error = await rejectsWithCode(ensureHubModel(options({ endpoint })), 'offline');

    assert.match(error.message, /ECONNREFUSED/);
    assert.match(error.message, /Set glassbox\.model to a local folder/);
  });

  test("a cache folder that cannot be created is a 'disk' error", async () => {
    const notAFolder = join(cacheDir, 'file');
    await writeFile(notAFolder, '');

    await rejectsWithCode(ensureHubModel(options({ cacheDir: notAFolder })), 'disk');
  });

  test('ids that are not Hub model ids are refused before any request', async () => {
    for (const repo of ['../etc', 'a/b/c', 'a--b/c', '', 'owner/.hidden']) {
      await rejectsWithCode(ensureHubModel(options({ repo })), 'not-found');
    }
    assert.deepEqual(hub.requests, []);
    assert.throws(() => hubModelDir(options({ repo: '../outside' })), HubDownloadError);
  });
});

describe('parseTreePage', () => {
  test('keeps what a file needs, checks digests, and skips what it does not understand', () => {
    const sha = 'ab'.repeat(32);
    const entries = parseTreePage([
      { type: 'file', oid: 'c'.repeat(40), size: 10, path: 'config.json', lastCommit: { id: 'x' } },
      { type: 'file', oid: 'd'.repeat(40), size: 99, path: 'model.safetensors', lfs: { oid: sha, size: 99 } },
      { type: 'file', oid: 'not-hex', size: 5, path: 'vocab.json' },
      { type: 'file', oid: 'e'.repeat(40), size: 9, path: 'weights.bin', lfs: { oid: 'short', size: 9 } },
      { type: 'directory', oid: 'f'.repeat(40), size: 0, path: 'onnx' },
      { type: 'file', size: -1, path: 'negative' },
      { type: 'file', size: '7', path: 'string-size' },
      { type: 'file', size: 7 },
      null,
      'junk',
    ]);

    assert.deepEqual(entries, [
      { type: 'file', path: 'config.json', size: 10, digest: { algorithm: 'git-blob-sha1', hex: 'c'.repeat(40) } },
      { type: 'file', path: 'model.safetensors', size: 99, digest: { algorithm: 'sha256', hex: sha } },
      { type: 'file', path: 'vocab.json', size: 5, digest: undefined },
      // An LFS entry's own oid describes the pointer file; with no usable sha256 there is no digest at all.
      { type: 'file', path: 'weights.bin', size: 9, digest: undefined },
      { type: 'directory', path: 'onnx', size: 0, digest: undefined },
    ]);
  });

  test('is undefined for anything but an array', () => {
    assert.equal(parseTreePage({ error: 'Repository not found' }), undefined);
    assert.equal(parseTreePage('<html>'), undefined);
  });
});

describe('nextPageUrl', () => {
  test('follows rel="next" and resolves it against the page', () => {
    const base = 'https://huggingface.co/api/models/gpt2/tree/main';
    assert.equal(
      nextPageUrl('<https://huggingface.co/api/models/gpt2/tree/main?cursor=abc>; rel="next"', base),
      'https://huggingface.co/api/models/gpt2/tree/main?cursor=abc',
    );
    assert.equal(
      nextPageUrl('</x?cursor=1>; rel="prev", </x?cursor=3>; rel=next', base),
      'https://huggingface.co/x?cursor=3',
    );
    assert.equal(nextPageUrl('</x?cursor=1>; rel="prev"', base), undefined);
    assert.equal(nextPageUrl(null, base), undefined);
  });
});

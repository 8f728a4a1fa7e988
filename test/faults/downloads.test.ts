// Classes 2, 8, 10 and 13 — what a download from the Hugging Face Hub must not do, against the fake Hub of
// test/engine/fake-hub.ts (127.0.0.1 only: whatever the code under test tries, nothing reaches the internet).
//   2  unbounded downloads: a file listed larger than any GPT-2's, a body that outgrows its listed size, a
//      listing without end. Each is refused by name, at once, leaving nothing on disk that looks complete.
//   8  unverified hashes: every file the Hub lists a hash for is verified against it; the files it lists none
//      for are named in the result and in the model process's log and progress, never passed over in silence.
//   10 lock hangs: a download lock left by a dead process, or by a pid that now belongs to another process, is
//      taken over; one held by a live process is waited for, saying by whom and since when, and given up on
//      after a while with a message that says how to clear it.
//   13 off-origin redirects: redirects and next-page links are followed only while they stay on the Hub, and
//      each endpoint has a model folder of its own.
// Limits and waits are made small through options, so every test takes well under a second or two.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile, utimes } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { GlassboxError } from '../../protocol/errors';
import type { ModelToHost } from '../../protocol/model-messages';
import { LOCK_FILE, withFolderLock, type LockWait } from '../../engine/models/folder-lock';
import { ensureHubModel, hubModelDir, type EnsureHubModelOptions } from '../../engine/models/hub-download';
import { parseTreePage } from '../../engine/models/hub-files';
import { MANIFEST_FILE } from '../../engine/models/hub-manifest';
import { isHubUrl } from '../../engine/models/hub-request';
import { FILE_LIMITS } from '../../engine/models/model-folder';
import { ModelServer } from '../../engine/model-server';
import { currentProcess } from '../../engine/models/process-identity';
import { FAST_RETRY, FakeHub, MODEL_FILES, REPO, listen, rejectsWithCode, sha256, type FakeHubOptions, type TreeEntry } from '../engine/fake-hub';
import { generatedModel, SHAPES } from '../engine/generated-models';

let hub: FakeHub;
let cacheDir: string;

beforeEach(async () => {
  hub = await FakeHub.start();
  cacheDir = await mkdtemp(join(tmpdir(), 'glassbox-fault-downloads-'));
});

afterEach(async () => {
  await hub.close();
  await rm(cacheDir, { recursive: true, force: true });
  assert.deepEqual(hub.offHost, [], 'a request left 127.0.0.1');
});

/** Replaces the fake Hub with one serving `files`, listed and served as `options` say. */
async function restartHub(options: FakeHubOptions, files = MODEL_FILES): Promise<void> {
  await hub.close();
  hub = await FakeHub.start(files, options);
}

function options(extra: Partial<EnsureHubModelOptions> = {}): EnsureHubModelOptions {
  return { repo: REPO, endpoint: hub.hubUrl, cacheDir, retry: FAST_RETRY, fetchImpl: hub.route(), ...extra };
}

/** Neither `path` nor its `.part` is in the model folder, and the manifest does not vouch for it. */
function assertNotOnDisk(path: string): void {
  const dir = hubModelDir(options());
  assert.ok(!existsSync(join(dir, path)), `${path} is in the model folder`);
  assert.ok(!existsSync(join(dir, `${path}.part`)), `${path}.part is in the model folder`);
  const manifest = join(dir, MANIFEST_FILE);
  if (existsSync(manifest)) assert.equal(JSON.parse(readFileSync(manifest, 'utf8')).files[path], undefined);
}

/** Runs `work`, failing if it takes longer than `ms`: a hang is a failure here, not a slow test. */
async function within<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  const took = performance.now() - started;
  assert.ok(took < ms, `took ${Math.round(took)} ms, more than ${ms}`);
  return result;
}

/** The listing with `path`'s entry changed by `edit`. */
function editEntry(path: string, edit: (entry: TreeEntry) => void): FakeHubOptions['editTree'] {
  return (entries) => entries.map((entry) => {
    if (entry.path !== path) return entry;
    const copy = structuredClone(entry);
    edit(copy);
    return copy;
  });
}

/** A second server, on another port of 127.0.0.1 and so another origin, that counts what reaches it. */
async function elsewhere(): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    res.end('{}');
  });
  const url = await listen(server);
  return { url, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('class 2: unbounded downloads', () => {
  const oversized: [string, number][] = [
    ['model.safetensors', 2 ** 40], // a server that claims 1 TB
    ['tokenizer.json', FILE_LIMITS['tokenizer.json'] + 1],
    ['config.json', FILE_LIMITS.default + 1],
  ];
  for (const [path, size] of oversized) {
    test(`${path} listed at ${size} bytes is refused before a byte of any file is fetched`, async () => {
      const inflate = (entry: TreeEntry): void => {
        entry.size = size;
        if (entry.lfs) entry.lfs.size = size;
      };
      await restartHub({ editTree: editEntry(path, inflate) });

      const error = await within(2_000, () => rejectsWithCode(ensureHubModel(options()), 'too-large'));

      assert.match(error.message, new RegExp(`lists ${literal(path)} of ${literal(REPO)} \\(revision main\\) at ${size} bytes, more than any GPT-2 ${literal(path)} \\(at most \\d+\\)`));
      assert.deepEqual(hub.byteRequests(), []);
      for (const file of Object.keys(MODEL_FILES)) assertNotOnDisk(file);
    });
  }

  for (const path of ['model.safetensors', 'config.json']) {
    test(`a body that keeps coming past ${path}'s listed size is cut off there and deleted`, async () => {
      hub.fault(path, { kind: 'endless' });

      const error = await within(3_000, () => rejectsWithCode(ensureHubModel(options()), 'corrupt'));

      assert.match(error.message, new RegExp(`^${literal(path)} of ${literal(REPO)}.*the server sent more than the ${MODEL_FILES[path].length} bytes listed`));
      assertNotOnDisk(path);
    });
  }

  test('a Content-Length of 1 TB for a file listed at 400 kB is refused before anything is written', async () => {
    hub.fault('model.safetensors', { kind: 'claims', contentLength: 2 ** 40 });

    const error = await within(2_000, () => rejectsWithCode(ensureHubModel(options()), 'corrupt'));

    assert.match(error.message, /^model\.safetensors of .*the server has 1099511627776 bytes, the Hub lists 400000/);
    assertNotOnDisk('model.safetensors');
  });

  test('a file list that never ends is read no further than 4 MiB', async () => {
    hub.fault('tree', { kind: 'endless' });

    const error = await within(3_000, () => rejectsWithCode(ensureHubModel(options()), 'http'));

    assert.match(error.message, /did not answer with a file list for test-org\/tiny-gpt2 \(a listing longer than 4194304 bytes\)/);
    assert.deepEqual(hub.byteRequests(), []);
  });

  test('a file list that announces 1 GB is not read at all', async () => {
    hub.fault('tree', { kind: 'claims', contentLength: 2 ** 30 });

    const error = await within(2_000, () => rejectsWithCode(ensureHubModel(options()), 'http'));

    assert.match(error.message, /a listing longer than 4194304 bytes/);
  });

  test('a file list whose pages never end is followed for 50 pages, then refused', async () => {
    const page = (n: number) => ({ kind: 'body' as const, body: Buffer.from('[]'), headers: { link: `<?cursor=${n}>; rel="next"` } });
    hub.fault('tree', ...Array.from({ length: 60 }, (_, n) => page(n + 1)));

    const error = await within(3_000, () => rejectsWithCode(ensureHubModel(options()), 'http'));

    assert.match(error.message, /\(more than 50 pages\)/);
    assert.equal(hub.requests.filter((r) => r.target === 'tree').length, 50);
  });
});

describe('class 8: unverified hashes', () => {
  /** The listing without any hash for `paths`: no git oid, and an LFS entry without its sha256. */
  const withoutHashes = (...paths: string[]): FakeHubOptions['editTree'] => (entries) =>
    entries.map((entry) => {
      if (!paths.includes(entry.path)) return entry;
      const { oid: _oid, lfs, ...rest } = entry;
      return lfs ? { ...rest, lfs: { size: lfs.size, pointerSize: lfs.pointerSize } } : rest;
    });

  test('files listed without a hash are downloaded, checked for size, and named in the result', async () => {
    await restartHub({ editTree: withoutHashes('vocab.json', 'config.json', 'model.safetensors') });

    const { dir, unverified } = await ensureHubModel(options());

    assert.deepEqual(unverified, ['config.json', 'model.safetensors', 'vocab.json']);
    for (const [path, data] of Object.entries(MODEL_FILES)) assert.ok(readFileSync(join(dir, path)).equals(data), path);
  });

  test('a copy used offline is still named unverified: the manifest remembers', async () => {
    await restartHub({ editTree: withoutHashes('merges.txt') });
    await ensureHubModel(options());
    await hub.close();

    const { unverified } = await ensureHubModel(options());

    assert.deepEqual(unverified, ['merges.txt']);
  });

  test('without a hash, wrong bytes of the right size get through, and that is said', async () => {
    await restartHub({ editTree: withoutHashes('tokenizer.json') });
    const wrong = Buffer.alloc(MODEL_FILES['tokenizer.json'].length, 0x20);
    hub.fault('tokenizer.json', { kind: 'body', body: wrong });

    const { dir, unverified } = await ensureHubModel(options());

    assert.ok(readFileSync(join(dir, 'tokenizer.json')).equals(wrong));
    assert.deepEqual(unverified, ['tokenizer.json']);
  });

  test('a file whose hash is listed and does not match still fails, whatever else is unverified', async () => {
    await restartHub({ editTree: withoutHashes('vocab.json') });
    const wrong = Buffer.from(MODEL_FILES['merges.txt']);
    wrong[0] ^= 0xff;
    hub.fault('merges.txt', { kind: 'body', body: wrong });

    const error = await rejectsWithCode(ensureHubModel(options()), 'corrupt');

    assert.match(error.message, /^merges\.txt of test-org\/tiny-gpt2 \(revision main\) did not match .*its checksum is not the git-blob-sha1/);
    assertNotOnDisk('merges.txt');
  });

  test('an LFS sha256 is used in every form the Hub writes it: oid, sha256:oid, or sha256', async () => {
    const sha = 'ab'.repeat(32);
    const entries = parseTreePage([
      { type: 'file', path: 'a.safetensors', size: 1, lfs: { oid: sha, size: 1 } },
      { type: 'file', path: 'b.safetensors', size: 1, lfs: { oid: `sha256:${sha}`, size: 1 } },
      { type: 'file', path: 'c.safetensors', size: 1, lfs: { sha256: sha.toUpperCase(), size: 1 } },
    ]);

    assert.deepEqual(entries?.map((e) => e.digest), Array(3).fill({ algorithm: 'sha256', hex: sha }));
  });

  test('weights listed with the model API\'s lfs.sha256 are verified, and wrong bytes fail', async () => {
    const moveToSha256 = editEntry('model.safetensors', (e) => {
      e.lfs = { sha256: e.lfs?.oid, size: e.size, pointerSize: 134 };
    });
    await restartHub({ editTree: moveToSha256 });
    const wrong = Buffer.from(MODEL_FILES['model.safetensors']);
    wrong[1_000] ^= 0xff;
    hub.fault('model.safetensors', { kind: 'body', body: wrong });

    await rejectsWithCode(ensureHubModel(options()), 'corrupt');
    assertNotOnDisk('model.safetensors');
    const { unverified } = await ensureHubModel(options());
    assert.deepEqual(unverified, []);
  });

  test('the model process says which files are unverified, in its log and in its progress', { timeout: 60_000 }, async () => {
    const model = generatedModel(SHAPES.small);
    const files = Object.fromEntries(readdirSync(model).map((name) => [name, readFileSync(join(model, name))]));
    // Served by the Hub itself: the model process fetches with Node's own fetch, which cannot be re-routed.
    await restartHub({ cdn: false, editTree: withoutHashes('tokenizer.json') }, files);
    const messages: ModelToHost[] = [];
    const answered = new Promise<ModelToHost>((resolve) => {
      const server = new ModelServer((message) => {
        messages.push(message);
        if (message.type === 'result' || message.type === 'error') void server.dispose().then(() => resolve(message));
      });
      const source = { kind: 'hub', repo: REPO } as const;
      server.receive({ type: 'request', id: 1, method: 'model/load', params: { source, device: 'cpu', storageDir: cacheDir, hubEndpoint: hub.hubUrl } });
    });

    const answer = await answered;

    assert.equal(answer.type, 'result', JSON.stringify(answer));
    const warning = 'Not verified: the Hub lists no checksum for tokenizer.json of test-org/tiny-gpt2, so only their size was checked.';
    assert.ok(messages.some((m) => m.type === 'log' && m.message === warning), 'not in the log');
    assert.ok(messages.some((m) => m.type === 'progress' && m.progress.kind === 'load' && m.progress.message === warning), 'not in the progress');
  });
});

describe('class 10: lock hangs', () => {
  const lockPath = () => join(hubModelDir(options()), LOCK_FILE);
  async function writeLock(content: string): Promise<void> {
    await mkdir(hubModelDir(options()), { recursive: true });
    await writeFile(lockPath(), content);
  }
  const exitedPid = () => spawnSync(process.execPath, ['-e', '']).pid; // has exited by the time it returns
  const since = '2024-05-01T12:00:00.000Z';
  const lockOf = (fields: object) => JSON.stringify({ ...currentProcess(), since, ...fields });

  const stale: [string, () => string][] = [
    ['a pid that now belongs to another process (same pid, other start time)', () => lockOf({ start: 'not-our-start' })],
    ['a process that exited', () => lockOf({ pid: exitedPid() })],
    ['a process that exited, written as a bare pid by earlier versions', () => String(exitedPid())],
  ];
  for (const [holder, content] of stale) {
    test(`a lock left by ${holder} is taken over without waiting`, async () => {
      await writeLock(content());
      const waits: LockWait[] = [];

      const { dir } = await within(3_000, () => ensureHubModel(options({ onLockWait: (w) => waits.push(w), lockWaitMs: 1_000 })));

      assert.deepEqual(waits, []);
      assert.ok(readFileSync(join(dir, 'config.json')).equals(MODEL_FILES['config.json']));
      assert.ok(!existsSync(lockPath()), 'the lock is released');
    });
  }

  test('a lock nobody ever finished writing is taken over once it is 10 s old', async () => {
    await writeLock('{"pid":');
    const old = new Date(Date.now() - 11_000);
    await utimes(lockPath(), old, old);

    await within(3_000, () => ensureHubModel(options({ lockWaitMs: 1_000 })));
  });

  const live: [string, () => string, RegExp][] = [
    ['this very process', () => lockOf({}), new RegExp(`held by pid ${process.pid} since ${since}`)],
    ['a live process, written as a bare pid by earlier versions', () => String(process.pid), new RegExp(`held by pid ${process.pid} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z`)],
    ['a process on another host, which cannot be asked', () => lockOf({ pid: 4242, host: 'build-server.example' }), new RegExp(`held by pid 4242 on build-server\\.example since ${since}`)],
  ];
  for (const [holder, content, heldBy] of live) {
    test(`a lock held by ${holder} is waited for, said so, and given up on with a way out`, async () => {
      await writeLock(content());
      const waits: LockWait[] = [];

      const error = await within(2_000, () => ensureHubModel(options({ onLockWait: (w) => waits.push(w), lockWaitMs: 300 })).then(
        () => assert.fail('expected to give up'),
        (e: unknown) => e,
      ));

      assert.equal(waits.length, 1);
      assert.equal(waits[0].path, lockPath());
      assert.match(waits[0].message, new RegExp(`^Waiting for ${literal(lockPath())}, ${heldBy.source}`));
      assert.ok(error instanceof GlassboxError && error.code === 'timeout', String(error));
      assert.match(error.message, new RegExp(`^Gave up waiting for ${literal(lockPath())}: it is ${heldBy.source}, which has shown no sign of progress for 0.3 s\\. If no other Glassbox window or command is using this folder, delete ${literal(lockPath())} and try again\\.$`));
      assert.ok(existsSync(lockPath()), "the holder's lock is left alone");
      assert.deepEqual(hub.requests, [], 'nothing was asked of the Hub');
    });
  }

  test('a holder that is still working is waited for past the limit, and its files are then found in place', async () => {
    const dir = hubModelDir(options());
    await mkdir(dir, { recursive: true });
    // Another window mid-download: it holds the lock for 800 ms, touching it every 50 ms.
    const holding = withFolderLock(dir, () => sleep(800), { heartbeatMs: 50 });
    const waits: LockWait[] = [];

    await within(3_000, () => ensureHubModel(options({ onLockWait: (w) => waits.push(w), lockWaitMs: 300 })));

    await holding;
    assert.equal(waits.length, 1);
    assert.match(waits[0].message, new RegExp(`held by pid ${process.pid} since `));
  });
});

describe('class 13: off-origin redirects', () => {
  test('a redirect that stays on the Hub is followed', async () => {
    hub.fault('config.json', { kind: 'redirect', location: `/${REPO}/resolve/main/config.json?moved=1` });

    const { dir } = await ensureHubModel(options());

    assert.ok(readFileSync(join(dir, 'config.json')).equals(MODEL_FILES['config.json']));
  });

  test("a redirect to the Hub's Xet bridge is followed, without the Hub token", async () => {
    const location = `https://cas-bridge.xethub.hf.co/blobs/${sha256(MODEL_FILES['tokenizer.json'])}`;
    hub.fault('tokenizer.json', { kind: 'redirect', location });

    await ensureHubModel(options({ token: 'hf_secret' }));

    const fromCdn = hub.requests.filter((r) => r.server === 'cdn' && r.target === 'tokenizer.json');
    assert.equal(fromCdn.length, 1);
    assert.equal(fromCdn[0].authorization, undefined);
  });

  test('a file redirected to another origin is refused, naming the file and the origin, and nothing is fetched there', async () => {
    const other = await elsewhere();
    try {
      hub.fault('config.json', { kind: 'redirect', location: `${other.url}/config.json` });

      const error = await rejectsWithCode(ensureHubModel(options({ token: 'hf_secret' })), 'http');

      assert.match(error.message, new RegExp(`^127\\.0\\.0\\.1:\\d+ redirected config\\.json to ${literal(other.url)}, which is neither`));
      assert.deepEqual(other.requests, []);
      assertNotOnDisk('config.json');
    } finally {
      await other.close();
    }
  });

  test("the CDN's own redirect is held to the same rule", async () => {
    const other = await elsewhere();
    try {
      hub.fault('model.safetensors', { kind: 'redirect', location: `${other.url}/weights` }); // served by the CDN

      const error = await rejectsWithCode(ensureHubModel(options()), 'http');

      assert.match(error.message, /redirected model\.safetensors to http:\/\/127\.0\.0\.1:\d+,/);
      assert.deepEqual(other.requests, []);
      assertNotOnDisk('model.safetensors');
    } finally {
      await other.close();
    }
  });

  const lookalikes = [
    'https://huggingface.co.evil.example/config.json',
    'https://evilhf.co/config.json',
    'http://cdn-lfs.huggingface.co/config.json', // the CDN, but without TLS
    'https://cdn-lfs.huggingface.co:8443/config.json',
    'https://us.gcp.cdn.hf.co/config.json', // the Hub's own domain, but this endpoint is not the Hub
  ];
  for (const location of lookalikes) {
    test(`a redirect to ${location} is refused without being tried`, async () => {
      hub.fault('config.json', { kind: 'redirect', location });

      const error = await rejectsWithCode(ensureHubModel(options()), 'http');

      assert.match(error.message, new RegExp(`redirected config\\.json to ${literal(new URL(location).origin)}, which is neither`));
      assertNotOnDisk('config.json');
    });
  }

  test('a redirect loop is given up after 5 redirects', async () => {
    const self = { kind: 'redirect' as const, location: `/${REPO}/resolve/main/config.json` };
    hub.fault('config.json', ...Array(10).fill(self));

    const error = await within(2_000, () => rejectsWithCode(ensureHubModel(options()), 'http'));

    assert.match(error.message, /redirected config\.json more than 5 times/);
    assert.equal(hub.requests.filter((r) => r.target === 'config.json').length, 6);
  });

  test('a file list redirected to another origin is refused', async () => {
    const other = await elsewhere();
    try {
      hub.fault('tree', { kind: 'redirect', location: `${other.url}/api/models/${REPO}/tree/main` });

      const error = await rejectsWithCode(ensureHubModel(options()), 'http');

      assert.match(error.message, /redirected the file list to http:\/\/127\.0\.0\.1:\d+,/);
      assert.deepEqual(other.requests, []);
    } finally {
      await other.close();
    }
  });

  test('a next-page link to another origin is refused', async () => {
    const other = await elsewhere();
    try {
      hub.fault('tree', { kind: 'body', body: Buffer.from('[]'), headers: { link: `<${other.url}/page2>; rel="next"` } });

      const error = await rejectsWithCode(ensureHubModel(options()), 'http');

      assert.match(error.message, new RegExp(`continued the file list of ${REPO} at ${literal(other.url)}, which is neither`));
      assert.deepEqual(other.requests, []);
    } finally {
      await other.close();
    }
  });

  test('where redirects may lead: the endpoint, the Hub CDNs, and subdomains of the endpoint (the Hub\'s own when it is the Hub)', () => {
    const hubEndpoint = 'https://huggingface.co';
    const mirror = 'https://hf-mirror.com';
    const local = 'http://127.0.0.1:8080';
    const cases: [string, string, boolean][] = [
      [hubEndpoint, 'https://huggingface.co/gpt2/resolve/main/x', true],
      [hubEndpoint, 'https://cdn-lfs-us-1.huggingface.co/x', true],
      [hubEndpoint, 'https://cas-bridge.xethub.hf.co/x', true],
      [hubEndpoint, 'https://us.gcp.cdn.hf.co/x', true],
      [hubEndpoint, 'http://us.gcp.cdn.hf.co/x', false],
      [hubEndpoint, 'https://huggingface.co.evil.example/x', false],
      [hubEndpoint, 'https://nothuggingface.co/x', false],
      [mirror, 'https://cas-bridge.xethub.hf-mirror.com/x', true],
      [mirror, 'https://cdn-lfs.huggingface.co/x', true],
      [mirror, 'https://us.gcp.cdn.hf.co/x', false],
      [local, 'http://127.0.0.1:8080/x', true],
      [local, 'http://127.0.0.1:8081/x', false],
      [local, 'https://cas-bridge.xethub.hf.co/x', true],
    ];
    for (const [endpoint, target, allowed] of cases) assert.equal(isHubUrl(endpoint, target), allowed, `${endpoint} → ${target}`);
  });

  test('two endpoints serving the same model name never share a folder', async () => {
    const first = await ensureHubModel(options());
    const otherConfig = Buffer.from(JSON.stringify({ model_type: 'gpt2', n_layer: 1, n_head: 1, n_embd: 4 }));
    const second = await FakeHub.start({ ...MODEL_FILES, 'config.json': otherConfig });
    try {
      const other = await ensureHubModel(options({ endpoint: second.hubUrl, fetchImpl: second.route() }));

      assert.notEqual(other.dir, first.dir);
      assert.ok((await readFile(join(other.dir, 'config.json'))).equals(otherConfig));
      assert.ok((await readFile(join(first.dir, 'config.json'))).equals(MODEL_FILES['config.json']), 'the first copy was touched');
    } finally {
      await second.close();
    }
  });

  test("the Hub's own folder keeps its name from earlier versions; any other endpoint's is suffixed", () => {
    const at = (endpoint?: string) => hubModelDir({ cacheDir, repo: 'openai-community/gpt2', endpoint });

    assert.equal(at(), join(cacheDir, 'openai-community--gpt2', 'main'));
    assert.equal(at('https://huggingface.co/'), at());
    assert.match(at('https://hf-mirror.com'), /openai-community--gpt2@[0-9a-f]{12}[/\\]main$/);
    assert.notEqual(at('https://hf-mirror.com'), at('https://hf-mirror.com/prefix'));
  });
});

/** `text` as a regular expression that matches exactly it. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

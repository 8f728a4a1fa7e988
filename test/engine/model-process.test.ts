// The model process as the extension runs it: ModelClient forks the bundled dist/model-process.js and talks to
// it over IPC, here on a generated GPT-2. Each group is an example of one promise: the process starts on
// demand; a crash or a hang costs the request in flight, and the next request restarts the process and
// reloads the model; a crash loop is held back; what is no longer wanted is cancelled; a malformed message is
// answered, not fatal. Nothing is mocked, and every process a test starts is gone when the file ends.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ModelServer } from '../../engine/model-server';
import { ModelClient, type ClientState, type ModelClientOptions } from '../../extension/model-client';
import type { GlassboxError } from '../../protocol/errors';
import type { CompleteParams, InspectParams, LoadParams } from '../../protocol/model-messages';
import type { HeadWrites } from '../../protocol/head-writes';
import { generatedModel, testCacheDir } from './generated-models';
import { Inbox, MODEL_PROCESS_MODULE as MODULE, RawProcess } from './raw-model-process';


// Tiny dims but a long context: greedy generation runs at about a millisecond a token, so 900 tokens take
// about a second, long enough to kill, abort or supersede a generation mid-way.
const MODEL = generatedModel({ nLayer: 1, nHead: 1, nEmbd: 8, nCtx: 1024, seed: 7 });
const LOAD: LoadParams = { source: { kind: 'folder', path: MODEL }, device: 'cpu', storageDir: testCacheDir() };
const INSPECT: InspectParams = { text: 'The model reads this.', topK: 3, targetId: null, windowToContext: true };
const LONG = 900;

function completion(maxNewTokens: number): CompleteParams {
  return { prompt: 'hello', maxNewTokens, temperature: 0, topK: 0, topP: 1, stopAtNewline: false, windowToContext: true };
}

/** A client with its log lines and state changes recorded. */
class ObservedClient {
  readonly client: ModelClient;
  readonly logs: string[] = [];
  readonly states: ClientState[] = [];
  /** Every process it started (from their `ready` messages). */
  readonly pids = new Set<number>();
  private readonly waiting: { kind: ClientState['kind']; resolve: (state: ClientState) => void }[] = [];

  constructor(options: Partial<ModelClientOptions> = {}) {
    this.client = new ModelClient({
      modulePath: MODULE,
      ...options,
      log: (message) => this.logs.push(message),
      onState: (state) => this.changed(state),
    });
    everyClient.push(this);
  }

  /** The next state change of this kind. */
  next(kind: ClientState['kind']): Promise<ClientState> {
    return new Promise((resolve) => this.waiting.push({ kind, resolve }));
  }

  get kinds(): string[] {
    return this.states.map((s) => s.kind);
  }

  private changed(state: ClientState): void {
    this.states.push(state);
    if (state.kind === 'running') this.pids.add(state.pid);
    for (const w of this.waiting.filter((w) => w.kind === state.kind)) {
      this.waiting.splice(this.waiting.indexOf(w), 1);
      w.resolve(state);
    }
  }
}

const everyClient: ObservedClient[] = [];
after(async () => {
  const pids = everyClient.flatMap(({ client, pids }) => [...pids, ...(client.pid === null ? [] : [client.pid])]);
  for (const { client } of everyClient) client.dispose();
  await Promise.all(pids.map(gone));
  for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} outlived its client`);
}, { timeout: 10_000 });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Resolves once no process has this pid. A killed child is reaped by Node within milliseconds. */
async function gone(pid: number): Promise<void> {
  while (alive(pid)) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Asserts that `promise` rejects with a GlassboxError of this code; returns the error. */
async function rejection(promise: Promise<unknown>, code: GlassboxError['code']): Promise<GlassboxError> {
  let error: unknown;
  await assert.rejects(promise, (e) => ((error = e), true));
  assert.equal((error as GlassboxError).code, code, `expected ${code}, got ${String(error)}`);
  return error as GlassboxError;
}

function pidOf(state: ClientState): number {
  assert.equal(state.kind, 'running');
  return (state as Extract<ClientState, { kind: 'running' }>).pid;
}

describe('start on demand', () => {
  test('a new client starts nothing; the first request forks the process, later ones reuse it', async () => {
    const observed = new ObservedClient();
    const { client } = observed;
    assert.equal(client.pid, null);
    assert.deepEqual(observed.kinds, []);

    const loaded = await client.load(LOAD);
    assert.equal(loaded.backend, 'cpu');
    assert.equal(loaded.summary.nCtx, 1024);
    assert.deepEqual(observed.kinds, ['starting', 'running']);
    const pid = pidOf(observed.states[1]);
    assert.equal(client.pid, pid);

    const result = await client.request('inspect/run', INSPECT);
    assert.equal(result.inspection.tokens.map((t) => t.text).join(''), INSPECT.text);
    assert.equal(client.pid, pid);
    assert.deepEqual(observed.kinds, ['starting', 'running']);
  });

  test('a request before any model was chosen is refused without starting a process', async () => {
    const { client, states } = new ObservedClient();
    await rejection(client.request('inspect/run', INSPECT), 'bad-request');
    assert.equal(client.pid, null);
    assert.deepEqual(states, []);
  });

  test('dispose ends the process and rejects what was pending', async () => {
    const { client } = new ObservedClient();
    await client.load(LOAD);
    const pid = client.pid!;
    const pending = client.request('complete/run', completion(LONG));
    client.dispose();
    const error = await rejection(pending, 'cancelled');
    assert.match(error.message, /shutting down/);
    await gone(pid);
    await rejection(client.request('inspect/run', INSPECT), 'cancelled');
  });
});

describe('a crash costs the request in flight; the next one restarts the process and reloads the model', () => {
  test('kill -9 during a generation', async () => {
    const observed = new ObservedClient();
    const { client } = observed;
    await client.load(LOAD);
    const first = client.pid!;

    let tokensSeen = 0;
    const generation = client.request('complete/run', completion(LONG), {
      onProgress: (progress) => {
        if (progress.kind === 'token' && tokensSeen++ === 0) process.kill(first, 'SIGKILL');
      },
    });
    const error = await rejection(generation, 'process-crashed');
    assert.equal(error.message, 'The model process was stopped by SIGKILL while working on this. Try again: it restarts on the next request.');
    assert.ok(tokensSeen < LONG, `the generation ran to the end (${tokensSeen} tokens) before the kill took`);
    assert.equal(observed.states.at(-1)?.kind, 'crashed');
    assert.equal(client.pid, null);

    // No load call here: the client loads the model into the new process before sending the request.
    const result = await client.request('inspect/run', INSPECT);
    assert.equal(result.inspection.model.nCtx, 1024);
    assert.notEqual(client.pid, first);
    assert.deepEqual(observed.kinds.slice(-3), ['crashed', 'starting', 'running']);
  });

  test('a process that stops answering is killed at the deadline, and the next request starts a new one', async () => {
    const observed = new ObservedClient({ deadlinesMs: { 'inspect/run': 1500 } });
    const { client } = observed;
    await client.load(LOAD);
    const hung = client.pid!;
    process.kill(hung, 'SIGSTOP'); // alive, connected, and silent: what an endless native loop looks like

    const started = performance.now();
    const error = await rejection(client.request('inspect/run', INSPECT), 'timeout');
    const waited = performance.now() - started;
    assert.ok(waited >= 1500 && waited < 10_000, `timed out after ${waited.toFixed(0)} ms`);
    assert.match(error.message, /did not answer within 2 s, so Glassbox restarted it/);
    assert.ok(observed.logs.some((line) => line.includes('did not answer inspect/run within 2 s; it will restart on the next request')));

    // Straight away, without waiting for the old process to be reaped.
    const result = await client.request('inspect/run', INSPECT);
    assert.equal(result.inspection.tokens.length > 0, true);
    assert.notEqual(client.pid, hung);
    assert.deepEqual(observed.kinds.slice(-3), ['crashed', 'starting', 'running']);
    await gone(hung);
  });
});

describe('a crash loop is held back', () => {
  test('after 3 crashes in a minute the next request fails at once, said once in the log; after the back-off it works', async () => {
    let now = 0; // the policy's clock: the back-off passes when the test says so
    const observed = new ObservedClient({ restart: { maxCrashes: 3, windowMs: 60_000, backoffMs: 2_000, now: () => now } });
    const { client, logs } = observed;

    for (let crash = 1; crash <= 3; crash++) {
      const running = observed.next('running');
      const loading = client.load(LOAD);
      process.kill(pidOf(await running), 'SIGKILL');
      await rejection(loading, 'process-crashed');
    }
    const loopLines = () => logs.filter((line) => line.includes('crashed 3 times in 60 s'));
    assert.equal(loopLines().length, 1);
    assert.match(loopLines()[0], /Glassbox waits 2 s before starting it again/);

    const statesBefore = observed.states.length;
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await rejection(client.request('inspect/run', INSPECT), 'process-crashed');
      assert.equal(error.message, 'The model process keeps crashing; Glassbox will try again in 2 s. See Glassbox: Show Log.');
    }
    assert.equal(client.pid, null);
    assert.equal(observed.states.length, statesBefore, 'no process was started while held back');
    assert.equal(loopLines().length, 1);

    now += 2_000;
    const result = await client.request('inspect/run', INSPECT);
    assert.equal(result.inspection.model.nCtx, 1024);
    assert.deepEqual(observed.kinds.slice(-2), ['starting', 'running']);
  });
});

describe('cancellation', () => {
  const observed = new ObservedClient();
  const { client } = observed;
  before(() => client.load(LOAD));

  test('100 completions fired at once: the 99 older ones are cancelled, only the newest runs to completion', async () => {
    const answered: number[] = [];
    const requests = Array.from({ length: 100 }, (_, i) =>
      client.request('complete/run', completion(20)).finally(() => answered.push(i)),
    );
    const outcomes = await Promise.allSettled(requests);

    outcomes.slice(0, 99).forEach((outcome, i) => {
      assert.equal(outcome.status, 'rejected', `request ${i} was not cancelled`);
      assert.equal((outcome as PromiseRejectedResult).reason.code, 'cancelled');
    });
    const newest = outcomes[99];
    assert.equal(newest.status, 'fulfilled');
    assert.equal(newest.value.tokens.length, 20);
    assert.equal(newest.value.stop, 'max-tokens');
    // Every superseded request had its answer before the newest finished: none waited its turn to run.
    assert.equal(answered.at(-1), 99);
  });

  test('an AbortSignal aborted while its request waits in the queue rejects it at once', async () => {
    const order: string[] = [];
    const abort = new AbortController();
    let inspection: Promise<unknown> | undefined;
    let tokens = 0;
    const generation = client.request('complete/run', completion(LONG), {
      onProgress: () => {
        tokens++;
        // Queue an inspection behind the running generation, then abort it a few tokens later.
        if (tokens === 1) {
          inspection = client.request('inspect/run', INSPECT, { signal: abort.signal });
          inspection.catch(() => order.push('inspection'));
        }
        if (tokens === 5) abort.abort();
      },
    });
    const result = await generation.finally(() => order.push('generation'));
    assert.equal(result.tokens.length, LONG);
    await rejection(inspection!, 'cancelled');
    assert.deepEqual(order, ['inspection', 'generation']);
  });

  test('aborting a running generation rejects it at once, and nothing more is reported for it', async () => {
    const abort = new AbortController();
    let tokens = 0;
    const generation = client.request('complete/run', completion(LONG), {
      signal: abort.signal,
      onProgress: () => {
        tokens++;
        abort.abort();
      },
    });
    await rejection(generation, 'cancelled');
    // The process stops the generation at its next token (shown with a raw process below) and moves on.
    const next = await client.request('complete/run', completion(3));
    assert.equal(next.tokens.length, 3);
    assert.equal(tokens, 1);
  });

  test('the queue never holds more than the running completion and the newest one', async () => {
    // The server itself, in this process, on the same model: its queue length can be read after each message.
    const inbox = new Inbox();
    const server = new ModelServer((message) => inbox.push(message));
    server.receive({ type: 'request', id: 1, method: 'model/load', params: LOAD });
    assert.equal((await inbox.answer(1)).type, 'result');

    let peak = 0;
    for (let id = 2; id < 102; id++) {
      server.receive({ type: 'request', id, method: 'complete/run', params: completion(20) });
      peak = Math.max(peak, server.pending);
    }
    assert.ok(peak <= 2, `${peak} requests were waiting or running`);
    const newest = await inbox.answer(101);
    assert.equal(newest.type, 'result');
    for (let id = 2; id < 101; id++) {
      const answer = await inbox.answer(id);
      assert.equal(answer.type === 'error' && answer.error.code, 'cancelled', `request ${id}: ${JSON.stringify(answer)}`);
    }
    assert.equal(server.pending, 0);
    await server.dispose();
  });
});

describe('a cancelled inspection the process is running cannot be interrupted', () => {
  // Deep and long enough that inspecting 1,000 tokens takes seconds (2.3–2.6 s here): the lens sends
  // 13 points × 1,000 rows through the whole vocabulary.
  const SLOW: LoadParams = { ...LOAD, source: { kind: 'folder', path: generatedModel({ nLayer: 12, nHead: 2, nEmbd: 64, nCtx: 1024, seed: 8 }) } };
  const LONG_TEXT: InspectParams = { ...INSPECT, text: 'word '.repeat(1000) };
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** A client on the slow model with a long inspection running (for 0.6 s) and a short one queued behind it. */
  async function longInspectionRunning(abandonAfterMs: number) {
    const observed = new ObservedClient({ abandonAfterMs });
    await observed.client.load(SLOW);
    const first = observed.client.pid;
    const abort = new AbortController();
    const long = observed.client.request('inspect/run', LONG_TEXT, { signal: abort.signal });
    const queued = observed.client.request('inspect/run', INSPECT);
    await wait(600);
    return { observed, first, abort, long, queued };
  }

  // Without a replacement, the wait for a new process would never end.
  test('past the time a restart costs, cancelling it replaces the process; the request queued behind it is answered by the new one', { timeout: 30_000 }, async () => {
    const { observed, first, abort, long, queued } = await longInspectionRunning(200);
    const replaced = observed.next('running');
    abort.abort();
    await rejection(long, 'cancelled');
    const second = pidOf(await replaced);
    assert.notEqual(second, first);
    await gone(first!);
    const { inspection } = await queued;
    assert.equal(inspection.tokens.map((t) => INSPECT.text.slice(t.start, t.end)).join(''), INSPECT.text);
    assert.equal(observed.client.pid, second, 'the queued inspection was answered by the new process');
    assert.ok(observed.logs.some((line) => /Replaced the model process: it was [\d.]+ s into a cancelled inspect\/run.*1 waiting request/.test(line)), observed.logs.join('\n'));
    // Not counted as a crash: no crashed state, and the restart policy was not consulted.
    assert.equal(observed.kinds.includes('crashed'), false);
    // The new process has the model: a further request needs no load of its own and is answered.
    assert.equal((await observed.client.request('inspect/run', { ...INSPECT, text: 'Again.' })).inspection.tokens.length, 2);
  });

  test('before then, it is left to finish: the same process answers what was queued behind it', { timeout: 30_000 }, async () => {
    const { observed, first, abort, long, queued } = await longInspectionRunning(60_000);
    abort.abort();
    await rejection(long, 'cancelled');
    const { inspection } = await queued;
    assert.equal(inspection.tokens.length > 0, true);
    assert.equal(observed.client.pid, first);
    assert.equal(observed.logs.some((line) => line.includes('Replaced the model process')), false);
  });
});

describe('requests the process cannot serve are refused, and nothing else is lost', () => {
  const { client } = new ObservedClient();
  const nCtx = 32;
  before(() => client.load({ ...LOAD, source: { kind: 'folder', path: generatedModel({ nLayer: 1, nHead: 1, nEmbd: 8, nCtx, seed: 7 }) } }));
  const text = 'one two three four '.repeat(10).trimEnd(); // 40 tokens ("one", " two", …); the model reads 32

  test('with windowToContext the last tokens that fit are inspected, with offsets into the kept part', async () => {
    const { inspection, droppedTokens, textOffset } = await client.request('inspect/run', { ...INSPECT, text });
    assert.equal(droppedTokens, 8);
    assert.equal(inspection.tokens.length, nCtx);
    assert.ok(textOffset > 0);
    const kept = text.slice(textOffset);
    assert.equal(inspection.tokens[0].start, 0);
    assert.equal(inspection.tokens.at(-1)!.end, kept.length);
    for (const token of inspection.tokens) assert.equal(kept.slice(token.start, token.end), token.text);
    assert.deepEqual(inspection.attention.patterns.map((layer) => layer?.dims), [[1, (nCtx * (nCtx + 1)) / 2]]); // per layer [head, packed causal rows]
    assert.ok(inspection.attention.patterns[0]?.data instanceof Float32Array, 'tensors cross the process boundary as typed arrays');

    // A layer asked for afterwards (as the panel does for a long text) is the same pattern, for the same tokens.
    const ids = inspection.tokens.map((t) => t.id);
    const answer = await client.request('attention/pattern', { ids, layer: 0 });
    assert.equal(answer.tokens, nCtx);
    assert.deepEqual(Array.from(answer.pattern.data), Array.from(inspection.attention.patterns[0]?.data ?? []));
    const error = await rejection(client.request('attention/pattern', { ids, layer: 1 }), 'bad-request');
    assert.match(error.message, /Layer 1 does not exist/);
  });

  test('a completion prompt over the room keeps its last tokens from a line start; typing on keeps that start', async () => {
    const lines = Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n'); // "line", " 0", "\n", …: 35 tokens
    const maxNewTokens = 4; // 28 tokens of room: 7 dropped, then on to the next line start
    const first = await client.request('complete/run', { ...completion(maxNewTokens), prompt: lines });
    assert.equal(lines.slice(first.textOffset), Array.from({ length: 9 }, (_, i) => `line ${i + 3}`).join('\n'));
    assert.equal(first.promptTokens.length, 26);
    assert.equal(first.promptTokens.map((t) => t.text).join(''), lines.slice(first.textOffset));
    assert.equal(first.promptTokens[0].start, 0, 'offsets into the kept part');

    // Typed on: the cut stays at the same line, so the last completion's cache serves the prompt.
    const typed = await client.request('complete/run', { ...completion(maxNewTokens), prompt: `${lines} more` });
    assert.equal(typed.textOffset, first.textOffset);
    assert.equal(typed.reusedTokens, first.promptTokens.length);

    // The kept part alone, no windowing needed: the same continuation.
    const alone = await client.request('complete/run', { ...completion(maxNewTokens), prompt: lines.slice(first.textOffset), windowToContext: false });
    assert.equal(alone.textOffset, 0);
    assert.equal(alone.text, first.text);
  });

  test('without it the request is refused with text-too-long', async () => {
    const error = await rejection(client.request('inspect/run', { ...INSPECT, text, windowToContext: false }), 'text-too-long');
    assert.match(error.message, /The text is 40 tokens; .* reads at most 32/);
  });

  test('params that cannot cross to the process (a function inside) are refused at once, and the process lives on', async () => {
    const pid = client.pid;
    const params = { text: ' a', onDone: () => undefined } as unknown as { text: string };
    const error = await rejection(client.request('lens/target', params), 'bad-request');
    assert.match(error.message, /could not be sent to the model process/);
    assert.equal((await client.request('lens/target', { text: ' a' })).text, ' a');
    assert.equal(client.pid, pid);
  });
});

describe('the process answers what ModelClient would never send, and keeps serving', () => {
  let raw: RawProcess;
  before(async () => {
    raw = new RawProcess();
    assert.equal((await raw.inbox.next((m) => m.type === 'ready')).type, 'ready');
    raw.send({ type: 'request', id: 1, method: 'model/load', params: LOAD });
    assert.equal((await raw.inbox.answer(1)).type, 'result');
  });
  after(async () => {
    // A host that goes away takes the process with it: it exits on disconnect.
    const exit = new Promise<number | null>((resolve) => raw.child.once('exit', (code) => resolve(code)));
    raw.child.disconnect();
    assert.equal(await exit, 0);
  });

  const validInspect = { type: 'request', method: 'inspect/run', params: INSPECT };
  const malformed: { name: string; message: unknown; id: number | null; says: RegExp }[] = [
    { name: 'a wrong type in params', message: { type: 'request', id: 7, method: 'inspect/run', params: { text: 5 } }, id: 7, says: /message\.params\.text: expected a string, got number/ },
    { name: 'a string', message: 'inspect the text please', id: null, says: /message: expected an object, got string/ },
    { name: 'null', message: null, id: null, says: /got null/ },
    { name: 'an array', message: [1, 'inspect/run', {}], id: null, says: /got array/ },
    { name: 'a number', message: 42, id: null, says: /got number/ },
    { name: 'a typed array', message: new Float32Array(4), id: null, says: /message\.type/ },
    { name: 'an id past 2^53', message: { ...validInspect, id: 2 ** 60 }, id: null, says: /message\.id: expected a non-negative integer/ },
    { name: 'a negative id', message: { ...validInspect, id: -3 }, id: null, says: /message\.id/ },
    { name: 'a NaN id', message: { ...validInspect, id: NaN }, id: null, says: /message\.id/ },
    { name: 'an unknown method', message: { type: 'request', id: 8, method: 'model/delete', params: {} }, id: 8, says: /message\.method/ },
    { name: 'an unknown type', message: { type: 'notify', id: 9 }, id: null, says: /message\.type/ },
    { name: 'a cancel without id', message: { type: 'cancel' }, id: null, says: /message\.id/ },
    { name: 'NaN tokens to generate', message: { type: 'request', id: 10, method: 'complete/run', params: { ...completion(5), maxNewTokens: NaN } }, id: 10, says: /maxNewTokens/ },
    { name: 'a text over 4 MB', message: { ...validInspect, id: 11, params: { ...INSPECT, text: 'x'.repeat(4 * 1024 * 1024 + 1) } }, id: 11, says: /over the limit/ },
    { name: 'nested junk for params', message: { ...validInspect, id: 12, params: [[{ text: [] }]] }, id: 12, says: /message\.params: expected an object, got array/ },
    // Well-formed, but outside what the model can do: the engine's own checks answer them.
    { name: 'top-k of a million', message: { ...validInspect, id: 13, params: { ...INSPECT, topK: 1e6 } }, id: 13, says: /top-k must be a whole number/ },
    { name: 'a target outside the vocabulary', message: { ...validInspect, id: 14, params: { ...INSPECT, targetId: 60_000 } }, id: 14, says: /outside the vocabulary/ },
    { name: 'a steering without its layer', message: { type: 'request', id: 16, method: 'complete/run', params: { ...completion(3), steering: { add: 'a', subtract: 'b', scale: 1 } } }, id: 16, says: /message\.params\.steering\.layer/ },
    { name: 'a steering at a layer the model lacks', message: { type: 'request', id: 17, method: 'complete/run', params: { ...completion(3), steering: { add: 'a', subtract: 'b', layer: 5, scale: 1 } } }, id: 17, says: /Layer 5 does not exist/ },
  ];
  for (const { name, message, id, says } of malformed) {
    test(`${name}: a bad-request error${id === null ? ' without an id' : ` for id ${id}`}`, async () => {
      raw.send(message);
      const answer = await raw.inbox.next((m) => m.type === 'error' || m.type === 'result');
      assert.equal(answer.type, 'error');
      assert.equal(answer.id, id);
      assert.equal(answer.error.code, 'bad-request');
      assert.match(answer.error.message, says);
    });
  }

  test('and still answers a valid request, even with the largest id', async () => {
    const id = Number.MAX_SAFE_INTEGER;
    raw.send({ ...validInspect, id });
    const answer = await raw.inbox.answer(id);
    assert.equal(answer.type, 'result');
    assert.equal(raw.child.exitCode, null);
  });

  test('a steered completion is answered, and differs from the unsteered one', async () => {
    const steered = { type: 'request', method: 'complete/run', params: { ...completion(8), prompt: 'I think that you are', steering: { add: 'I love you so much', subtract: 'I hate', layer: 0, scale: 50 } } };
    raw.send({ ...steered, id: 18 });
    const answer = await raw.inbox.answer(18);
    assert.equal(answer.type, 'result', JSON.stringify(answer));
    raw.send({ ...steered, id: 19, params: { ...steered.params, steering: undefined } });
    const plain = await raw.inbox.answer(19);
    raw.inbox.drain((m) => m.type === 'progress');
    const text = (a: { type: string; result?: unknown }) => (a.type === 'result' ? (a.result as { text: string }).text : null);
    assert.notEqual(text(answer), text(plain));
  });

  test('heads/score: the catalogue averaged over the probes, each kind [layer][head] in [0, 1]', async () => {
    raw.send({ type: 'request', id: 21, method: 'heads/score', params: { repeatLength: 5, probes: 2 } });
    const answer = await raw.inbox.answer(21);
    assert.equal(answer.type, 'result', JSON.stringify(answer));
    const catalogue = (answer as unknown as { result: { scores: Record<string, number[][]>; probes: number } }).result;
    assert.equal(catalogue.probes, 2);
    for (const grid of Object.values(catalogue.scores)) assert.ok(grid.length === 1 && grid[0].length === 1 && grid[0][0] >= 0 && grid[0][0] <= 1);
  });

  test('attribute/run: the components sum to the logit difference; a position past the tokens is refused', async () => {
    raw.send({ type: 'request', id: 22, method: 'attribute/run', params: { ids: [464, 3290, 318], position: 2, targetId: 257, versusId: 262 } });
    const answer = await raw.inbox.answer(22);
    assert.equal(answer.type, 'result', JSON.stringify(answer));
    const report = (answer as unknown as { result: { logitDiff: number; components: { value: number }[] } }).result;
    assert.ok(Math.abs(report.components.reduce((s, c) => s + c.value, 0) - report.logitDiff) < 1e-3);
    raw.send({ type: 'request', id: 23, method: 'attribute/run', params: { ids: [464, 3290], position: 2, targetId: 257, versusId: null } });
    const refused = await raw.inbox.answer(23);
    assert.equal(refused.type, 'error');
  });

  test('heads/writes: every source (all three, at three tokens) with its OV tokens; a byte token comes with its bytes', async () => {
    // 158 is GPT-2's token for the lone byte 0xE2, the first of a three-byte character such as "—".
    raw.send({ type: 'request', id: 24, method: 'heads/writes', params: { ids: [464, 158, 3290], position: 2, layer: 0, head: 0 } });
    const answer = await raw.inbox.answer(24);
    assert.equal(answer.type, 'result', JSON.stringify(answer));
    const writes = (answer as unknown as { result: HeadWrites }).result;
    assert.deepEqual(writes.sources.map((s) => s.position).sort(), [0, 1, 2]);
    assert.deepEqual(writes.sources.find((s) => s.position === 1)?.token, { id: 158, text: '\ufffd', bytes: [0xe2] });
    assert.deepEqual(writes.sources.find((s) => s.position === 0)?.token, { id: 464, text: 'The' });
    for (const list of [...writes.sources.map((s) => s.top), writes.promoted, writes.suppressed]) assert.equal(list.length, 5);
    raw.send({ type: 'request', id: 25, method: 'heads/writes', params: { ids: [464], position: 0, layer: 0, head: 1 } });
    assert.match(JSON.stringify(await raw.inbox.answer(25)), /Head 1 is not one of the model's 1/);
  });

  test("a panel's layer from a bigger model (after a switch) falls back to layer 0 instead of failing", async () => {
    raw.send({ ...validInspect, id: 15, params: { ...INSPECT, patternLayers: [3] } });
    const answer = await raw.inbox.answer(15);
    assert.equal(answer.type, 'result', JSON.stringify(answer));
  });

  test('a cancel drops a queued request before it starts', async () => {
    raw.send({ type: 'request', id: 20, method: 'complete/run', params: completion(LONG) });
    raw.send({ type: 'request', id: 21, method: 'inspect/run', params: INSPECT });
    raw.send({ type: 'cancel', id: 21 });
    const dropped = await raw.inbox.answer(21);
    assert.deepEqual(dropped, { type: 'error', id: 21, error: { code: 'cancelled', message: 'Cancelled before it started.' } });
    const generation = await raw.inbox.answer(20);
    assert.equal(generation.type, 'result');
    raw.inbox.drain((m) => m.type === 'progress');
  });

  test('a cancel stops a running generation at its next token, answered as cancelled', async () => {
    raw.send({ type: 'request', id: 30, method: 'complete/run', params: completion(LONG) });
    await raw.inbox.next((m) => m.type === 'progress' && m.id === 30);
    raw.send({ type: 'cancel', id: 30 });
    const answer = await raw.inbox.answer(30);
    const tokens = 1 + raw.inbox.drain((m) => m.type === 'progress' && m.id === 30).length;
    assert.deepEqual(answer, { type: 'error', id: 30, error: { code: 'cancelled', message: 'Cancelled.' } });
    assert.ok(tokens < LONG, `${tokens} tokens were generated`);
  });
});

// How long the host waits for the model process before it calls it hung, and how long a request may wait
// behind other work. GPT-2 small's deadlines are scaled by how much more a bigger model computes per token;
// a deadline counts from when the process starts the request, and kills the process when it passes; a wait
// in the queue has a limit of its own and fails only the request that waited. The timing tests run
// ModelClient against a fake process on a fake clock: the test plays the model process, answering when it
// likes, one request at a time in the order sent, as the real one does.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { deadlineScale, ModelClient, type ModelClientOptions, type ModelProcess } from '../../extension/model-client';
import type { ErrorCode } from '../../protocol/errors';
import type { HostToModel, InspectParams, InspectResult, LoadParams, LoadResult } from '../../protocol/model-messages';
import { FakeClock, flush } from './completion-fakes';
import { fixtureInspection } from './webview-fixture';

const GPT2 = { nLayer: 12, nEmbd: 768, vocabSize: 50257 };

test('GPT-2 small and anything smaller keep the deadlines as they are', () => {
  assert.equal(deadlineScale(GPT2), 1);
  assert.equal(deadlineScale({ ...GPT2, nLayer: 6 }), 1); // distilgpt2
  assert.equal(deadlineScale({ nLayer: 2, nEmbd: 32, vocabSize: 50257 }), 1);
});

test('gpt2-xl gets about 8.8 times as long: 12·L·d² + (L+2)·d·V multiply-adds a token, against GPT-2 small\'s', () => {
  // 12·48·1600² + 50·1600·50257 = 1,474,560,000 + 4,020,560,000; 12·12·768² + 14·768·50257 = 84,934,656 + 540,363,264.
  assert.ok(Math.abs(deadlineScale({ nLayer: 48, nEmbd: 1600, vocabSize: 50257 }) - 5_495_120_000 / 625_297_920) < 1e-9);
  const medium = deadlineScale({ nLayer: 24, nEmbd: 1024, vocabSize: 50257 });
  const large = deadlineScale({ nLayer: 36, nEmbd: 1280, vocabSize: 50257 });
  assert.ok(1 < medium && medium < large && large < 8.8, `${medium}, ${large}`);
});

const LOAD: LoadParams = { source: { kind: 'folder', path: '/models/gpt2' }, device: 'cpu', storageDir: '/storage' };
const LOADED: LoadResult = { summary: { name: 'gpt2', ...GPT2, nHead: 12, nCtx: 1024 }, backend: 'cpu', randomWeights: false, seconds: 1 };
const INSPECT: InspectParams = { text: 'The quick brown fox', topK: 10, targetId: null, windowToContext: true };
const INSPECTED: InspectResult = { inspection: fixtureInspection(), droppedTokens: 0, textOffset: 0 };

let nextPid = 1000;

/** The model process as the client sees it: what it was sent, and messages the test makes it send back. */
class FakeModelProcess extends EventEmitter implements ModelProcess {
  readonly pid = nextPid++;
  readonly stdout = null;
  readonly stderr = null;
  connected = true;
  readonly received: HostToModel[] = [];
  killedBy: NodeJS.Signals | null = null;

  send(message: HostToModel): boolean {
    this.received.push(message);
    return true;
  }

  kill(signal: NodeJS.Signals): boolean {
    this.killedBy = signal;
    this.connected = false;
    this.emit('exit', null, signal);
    return true;
  }

  /** The ids of the requests it was sent, in order. */
  get requests(): number[] {
    return this.received.flatMap((m) => (m.type === 'request' ? [m.id] : []));
  }

  get cancels(): number[] {
    return this.received.flatMap((m) => (m.type === 'cancel' ? [m.id] : []));
  }

  answer(id: number, result: LoadResult | InspectResult): void {
    this.emit('message', { type: 'result', id, result });
  }

  refuse(id: number, code: ErrorCode, message: string): void {
    this.emit('message', { type: 'error', id, error: { code, message } });
  }
}

/** Follows a promise without awaiting it, so a test can look at it between steps of the clock. */
function watch<T>(promise: Promise<T>) {
  const watched: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: { code: ErrorCode; message: string } } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(watched, { state: 'resolved', value }),
    (error: { code: ErrorCode; message: string }) => Object.assign(watched, { state: 'rejected', error }),
  );
  return watched;
}

/** A client whose fake process (`child`) has loaded GPT-2 small, at time 0 on a fake clock. */
async function loadedClient(options: Partial<ModelClientOptions> = {}) {
  const clock = new FakeClock();
  const children: FakeModelProcess[] = [];
  const logs: string[] = [];
  const client = new ModelClient({
    modulePath: 'model-process.js',
    clock,
    fork: () => {
      const child = new FakeModelProcess();
      children.push(child);
      return child;
    },
    log: (message) => logs.push(message),
    ...options,
  });
  const loading = client.load(LOAD);
  children[0].answer(children[0].requests[0], LOADED);
  await loading;
  const child = children[0];
  /** Sends an inspection; returns its id as the process sees it, and its promise, watched. */
  const inspect = async (signal?: AbortSignal) => {
    const result = watch(client.request('inspect/run', INSPECT, { signal }));
    await flush();
    return { id: child.requests.at(-1)!, result };
  };
  /** Moves the clock, then lets the client's promises settle. */
  const advance = async (ms: number) => {
    clock.advance(ms);
    await flush();
  };
  return { client, child, children, logs, inspect, advance };
}

test('a deadline counts from when the process starts the request, not from when it joined the queue', async () => {
  const { child, inspect, advance } = await loadedClient({ deadlinesMs: { 'inspect/run': 60_000 }, queueLimitMs: 30_000 });
  const first = await inspect();
  const second = await inspect(); // queued behind the first

  await advance(25_000);
  child.answer(first.id, INSPECTED); // the second starts now
  await advance(50_000);
  // 75 s since it was sent, past its 60 s deadline counted from then, and past the 30 s queue limit: but it
  // has run for 50 s and waited for 25 s, each within its own bound.
  assert.equal(second.result.state, 'pending');
  assert.equal(child.killedBy, null, 'a busy process that answers is not killed');

  child.answer(second.id, INSPECTED);
  await flush();
  assert.equal(first.result.state, 'resolved');
  assert.equal(second.result.state, 'resolved');
  assert.equal(second.result.value?.inspection.tokens.length, INSPECTED.inspection.tokens.length);
});

test('a request that waits past the queue limit fails alone, saying how long it waited; the busy process is kept', async () => {
  const { client, child, logs, inspect, advance } = await loadedClient({ queueLimitMs: 30_000 });
  const running = await inspect();
  const queued = await inspect();

  await advance(29_999);
  assert.equal(queued.result.state, 'pending');
  await advance(1);
  assert.equal(queued.result.state, 'rejected');
  assert.equal(queued.result.error?.code, 'timeout');
  assert.match(queued.result.error!.message, /^This waited 30 s behind other work for the model and was given up; the model is still busy \(it was not restarted\)/);
  assert.match(logs.at(-1)!, /Gave up on inspect\/run after it waited 30 s behind other work/);
  // The process is told to drop it, and keeps running what it was running.
  assert.deepEqual(child.cancels, [queued.id]);
  assert.equal(child.killedBy, null);
  assert.equal(client.pid, child.pid);

  // It answers the cancel at once, as it does for a request it has not started, and goes on.
  child.refuse(queued.id, 'cancelled', 'Cancelled before it started.');
  await advance(60_000);
  child.answer(running.id, INSPECTED);
  await flush();
  assert.equal(running.result.state, 'resolved');
  assert.equal(queued.result.error?.code, 'timeout', 'settled once');

  // The next request starts at once, on the same process, with its whole deadline ahead of it.
  const next = await inspect();
  await advance(119_000);
  child.answer(next.id, INSPECTED);
  await flush();
  assert.equal(next.result.state, 'resolved');
  assert.equal(client.pid, child.pid);
});

test('the request the process is running still has its deadline: past it the process is killed as hung', async () => {
  const { client, child, children, inspect, advance } = await loadedClient({ deadlinesMs: { 'inspect/run': 60_000 } });
  const hung = await inspect();
  const queued = await inspect();

  await advance(60_000);
  assert.equal(hung.result.error?.code, 'timeout');
  assert.match(hung.result.error!.message, /did not answer within 60 s, so Glassbox restarted it/);
  assert.equal(child.killedBy, 'SIGKILL');
  // What waited behind it was on the hung process too.
  assert.equal(queued.result.error?.code, 'process-crashed');

  // The next request starts a new process, which loads the model first.
  const retry = watch(client.request('inspect/run', INSPECT));
  await flush();
  assert.equal(children.length, 2);
  assert.deepEqual(children[1].received.map((m) => m.type === 'request' && m.method), ['model/load']);
  children[1].answer(children[1].requests[0], LOADED);
  await flush();
  children[1].answer(children[1].requests[1], INSPECTED);
  await flush();
  assert.equal(retry.state, 'resolved');
});

test('a process hung on a request nobody wants any more is killed all the same, not left to stall the queue', async () => {
  // Abandoning would replace it at once; here the cancel is made too early for that.
  const { child, inspect, advance } = await loadedClient({ deadlinesMs: { 'inspect/run': 60_000 }, abandonAfterMs: 120_000 });
  const abort = new AbortController();
  const cancelled = await inspect(abort.signal);
  const queued = await inspect();

  await advance(1_000);
  abort.abort();
  await flush();
  assert.equal(cancelled.result.error?.code, 'cancelled');
  assert.deepEqual(child.cancels, [cancelled.id], 'left to finish, told to stop');

  // It never answers: the deadline of the request it is running is what notices.
  await advance(58_999);
  assert.equal(child.killedBy, null);
  await advance(1);
  assert.equal(child.killedBy, 'SIGKILL');
  assert.equal(queued.result.error?.code, 'process-crashed');
});

test('a request cancelled while it runs and answered all the same is done: the next one\'s deadline counts from then', async () => {
  const { child, logs, inspect, advance } = await loadedClient({ deadlinesMs: { 'inspect/run': 60_000 } });
  const cancelled = new AbortController();
  const first = await inspect(cancelled.signal);
  const second = await inspect();
  cancelled.abort();
  await flush();
  assert.equal(first.result.state, 'rejected');
  // The process had finished before the cancel reached it: its answer comes anyway, and the second starts.
  child.answer(first.id, INSPECTED);
  await advance(50_000);
  assert.equal(child.killedBy, null, 'the second has run 50 s of its 60');
  assert.deepEqual(logs.filter((l) => l.includes('malformed')), []);
  child.answer(second.id, INSPECTED);
  await flush();
  assert.equal(second.result.state, 'resolved');
});

// Class 13's last line of defence — the protocol under fuzz. A seeded stream of random values and of valid
// requests mutated field by field (types swapped, numbers made huge, negative, fractional or NaN, fields
// dropped or added, methods and ids garbled) is sent to a real model process. Every message gets exactly
// one answer — an error for what is malformed, a result for what a mutation left valid — within a bound, the
// process never dies, and a valid request afterwards is answered as usual.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inspect } from 'node:util';
import type { CompleteParams, InspectParams, LoadParams, ModelToHost } from '../../protocol/model-messages';
import { generatedModel, testCacheDir } from '../engine/generated-models';
import { RawProcess } from '../engine/raw-model-process';
import { seededRandom } from '../engine/reference-gpt2';

const MODEL = generatedModel({ nLayer: 1, nHead: 2, nEmbd: 8, nCtx: 64, seed: 9 });
const LOAD: LoadParams = { source: { kind: 'folder', path: MODEL }, device: 'cpu', storageDir: testCacheDir() };
const INSPECT: InspectParams = { text: 'Fuzz the protocol.', topK: 3, targetId: null, windowToContext: true };
const COMPLETE: CompleteParams = { prompt: 'Once', maxNewTokens: 4, temperature: 0, topK: 0, topP: 1, stopAtNewline: false, windowToContext: true };
const MESSAGES = 400;
const SEED = 20261203;

const random = seededRandom(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** A value of any JSON-ish kind, nested up to `depth`. */
function randomValue(depth = 2): unknown {
  const kinds = ['number', 'string', 'bool', 'null', 'undefined', 'array', 'object', 'special'] as const;
  switch (pick(depth > 0 ? kinds : kinds.slice(0, 5))) {
    case 'number':
      return pick([0, -1, 1.5, 2 ** 53, -(2 ** 60), 1e308, Math.floor(random() * 1e6)]);
    case 'string':
      return pick(['', 'inspect/run', 'x'.repeat(1 + Math.floor(random() * 40)), '\u0000', '🎉', '../../etc/passwd']);
    case 'bool':
      return random() < 0.5;
    case 'null':
      return null;
    case 'undefined':
      return undefined;
    case 'array':
      return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth - 1));
    case 'object':
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [pick(['type', 'id', 'method', 'params', `k${i}`]), randomValue(depth - 1)]));
    case 'special':
      return pick([NaN, Infinity, -Infinity, new Float32Array(3), new Map([[1, 2]]), new Date(0), BigInt(7)]);
  }
}

/** A valid request with one field of it, or of its params, replaced, removed or added. */
function mutated(id: number): Record<string, unknown> {
  const base: Record<string, unknown> =
    random() < 0.5 ? { type: 'request', id, method: 'inspect/run', params: { ...INSPECT } } : { type: 'request', id, method: 'complete/run', params: { ...COMPLETE } };
  const params = base.params as Record<string, unknown>;
  const target = random() < 0.7 ? params : base;
  const keys = Object.keys(target).filter((k) => target !== base || k !== 'id');
  const key = pick(keys);
  const how = pick(['replace', 'replace', 'remove', 'add'] as const);
  if (how === 'replace') target[key] = randomValue();
  else if (how === 'remove') delete target[key];
  else target[`extra${Math.floor(random() * 9)}`] = randomValue();
  return base;
}

let raw: RawProcess;
before(async () => {
  raw = new RawProcess();
  await raw.inbox.next((m) => m.type === 'ready');
  raw.send({ type: 'request', id: 1, method: 'model/load', params: LOAD });
  assert.equal((await raw.inbox.answer(1)).type, 'result');
});
after(() => raw.child.kill('SIGKILL'));

/** The answer to `id`, or to a message whose id was unreadable (null), within 20 s. */
function answer(id: number | null): Promise<ModelToHost> {
  const answered = raw.inbox.next((m) => (m.type === 'result' || m.type === 'error') && m.id === id);
  const late = new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no answer to ${id} within 20 s`)), 20_000).unref());
  return Promise.race([answered, late]);
}

test(`${MESSAGES} random and mutated messages (seed ${SEED}): each answered once, the process lives`, { timeout: 300_000 }, async () => {
  const tally = { errors: 0, results: 0, idless: 0 };
  for (let i = 0; i < MESSAGES; i++) {
    const id = 1000 + i;
    const message = random() < 0.3 ? randomValue(3) : mutated(id);
    const readableId = typeof message === 'object' && message !== null && (message as { id?: unknown }).id === id && (message as { type?: unknown }).type === 'request';
    try {
      raw.send(message);
    } catch {
      continue; // not serialisable at all: it never reaches the process (IPC refuses it on this side)
    }
    const reply = await answer(readableId ? id : null);
    if (!readableId) tally.idless += 1;
    if (reply.type === 'error') {
      tally.errors += 1;
      assert.ok(['bad-request', 'text-empty', 'text-too-long', 'cancelled'].includes(reply.error.code), `message ${i}: ${reply.error.code}: ${reply.error.message}`);
      assert.doesNotMatch(reply.error.message, /^\s+at /m, 'no stack traces');
    } else tally.results += 1;
    assert.equal(raw.child.exitCode, null, `the process died at message ${i}: ${inspect(message)}`);
    raw.inbox.drain((m) => m.type === 'progress' || m.type === 'log');
  }
  raw.send({ type: 'request', id: 99_999, method: 'inspect/run', params: INSPECT });
  assert.equal((await answer(99_999)).type, 'result', 'a valid request after the storm');
  assert.ok(tally.errors > MESSAGES / 2, JSON.stringify(tally));
  // Nothing answered twice: no stray answers are left for any id.
  assert.deepEqual(raw.inbox.drain((m) => m.type === 'result' || m.type === 'error'), []);
});

// Validation where host ↔ model process messages enter. Valid messages come back as they were, typed arrays
// included, after the same serialisation IPC uses; anything else comes back as `{error}`, never as a throw. A
// seeded fuzzer mutates valid messages of every kind to hold the parsers to that.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { SeededRandom } from '../../engine/models/seeded-random';
import { parseHostToModel, parseModelToHost } from '../../protocol/model-message-guards';
import { MODEL_METHODS, type HostToModel, type ModelMethod, type ModelToHost } from '../../protocol/model-messages';
import { fixtureInspection, fixtureLensTarget, fixtureReading } from './webview-fixture';

/** What a message looks like after crossing a `serialization: 'advanced'` IPC channel (a V8 structured clone). */
const overIpc = <T>(message: T): T => deserialize(serialize(message));

const hostToModel: readonly HostToModel[] = [
  { type: 'request', id: 1, method: 'model/load', params: { source: { kind: 'folder', path: '/models/gpt2' }, device: 'cpu', storageDir: '/storage' } },
  {
    type: 'request',
    id: 2,
    method: 'model/load',
    params: { source: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' }, device: 'auto', storageDir: '/storage', hubEndpoint: 'http://127.0.0.1:8080' },
  },
  { type: 'request', id: 3, method: 'inspect/run', params: { text: 'The cat sat', topK: 5, targetId: 3290, windowToContext: true } },
  { type: 'request', id: 4, method: 'inspect/run', params: { text: 'x', topK: 1, targetId: null, windowToContext: false } },
  { type: 'request', id: 5, method: 'lens/target', params: { text: ' dog' } },
  { type: 'request', id: 6, method: 'complete/run', params: { prompt: 'Once upon', maxNewTokens: 16, temperature: 0.7, topK: 40, topP: 0.9, seed: 42, stopAtNewline: true, windowToContext: true } },
  { type: 'request', id: 8, method: 'complete/compare', params: { prompt: 'Once', maxNewTokens: 4, temperature: 0, topK: 40, topP: 0.95, stopAtNewline: false, windowToContext: true, steering: { add: 'Love', subtract: 'Hate', layer: 1, scale: 4 } } },
  { type: 'request', id: Number.MAX_SAFE_INTEGER, method: 'complete/run', params: { prompt: 'a', maxNewTokens: 1, temperature: 0, topK: 0, topP: 1, stopAtNewline: false, windowToContext: false } },
  { type: 'cancel', id: 6 },
  { type: 'request', id: 8, method: 'inspect/run', params: { text: 'The cat sat', topK: 5, targetId: null, windowToContext: true, patternLayers: [0, 3] } },
  { type: 'request', id: 9, method: 'attention/pattern', params: { ids: [464, 3797, 3332], layer: 1 } },
  { type: 'request', id: 11, method: 'tokens/read', params: { text: 'The cat sat', topK: 1, windowToContext: true } },
  {
    type: 'request',
    id: 10,
    method: 'model/load',
    params: { source: { kind: 'hub', repo: 'openai-community/gpt2' }, device: 'cpu', storageDir: '/storage', proxy: { url: 'http://corp:3128', strictSSL: false, authorization: 'Basic abc' } },
  },
];

// The host knows which method each pending id is for; results are checked against it.
const methodOf = (id: number): ModelMethod | undefined => ({ 1: 'model/load', 2: 'inspect/run', 3: 'lens/target', 4: 'complete/run', 5: 'attention/pattern', 6: 'complete/compare', 7: 'tokens/read' })[id] as ModelMethod | undefined;

const fixture = fixtureInspection({ layers: 2, heads: 2, k: 3, tokens: 4 });
const withTarget = { ...fixture, lens: { ...fixture.lens, target: fixtureLensTarget(fixture, 262) } };

const modelToHost: readonly ModelToHost[] = [
  { type: 'ready', pid: 4242 },
  { type: 'log', message: 'Model ready on CPU.' },
  { type: 'progress', id: 1, progress: { kind: 'download', file: 'model.safetensors', receivedBytes: 10, totalBytes: 100, overallReceived: 10, overallTotal: 200 } },
  { type: 'progress', id: 1, progress: { kind: 'load', message: 'Loading gpt2…' } },
  { type: 'progress', id: 4, progress: { kind: 'token', id: 11, text: ',' } },
  { type: 'error', id: 2, error: { code: 'text-too-long', message: 'The text is 2000 tokens; gpt2 reads at most 1024. Select less text.' } },
  { type: 'error', id: null, error: { code: 'bad-request', message: 'Malformed message: message: expected an object, got null' } },
  { type: 'result', id: 1, result: { summary: fixture.model, backend: 'cpu', randomWeights: false, seconds: 1.5 } },
  { type: 'result', id: 2, result: { inspection: fixture, droppedTokens: 0, textOffset: 0 } },
  { type: 'result', id: 2, result: { inspection: withTarget, droppedTokens: 12, textOffset: 57 } },
  { type: 'result', id: 3, result: { id: 3290, text: ' dog' } },
  {
    type: 'result',
    id: 4,
    result: {
      promptTokens: [{ id: 7454, text: 'Once', start: 0, end: 4 }, { id: 2402, text: ' upon', start: 4, end: 9 }],
      tokens: [{ id: 257, text: ' a', prob: 0.25 }, { id: 640, text: ' time', prob: 0.875 }],
      text: ' a time',
      stop: 'max-tokens',
      tokensPerSecond: 120.5,
      reusedTokens: 12,
      textOffset: 0,
    },
  },
  { type: 'result', id: 7, result: { reading: fixtureReading(fixture), droppedTokens: 3, textOffset: 17 } },
  // An inspection's tokens, sent before the inspection itself.
  { type: 'progress', id: 2, progress: { kind: 'tokens', reading: fixtureReading(fixture), droppedTokens: 0, textOffset: 0, seconds: 0.25, secondsLeft: 1 } },
  // A long text's inspection carries one layer's full patterns; the other comes on request.
  { type: 'result', id: 2, result: { inspection: { ...fixture, attention: { ...fixture.attention, patterns: [null, fixture.attention.patterns[1]] } }, droppedTokens: 0, textOffset: 0 } },
  { type: 'result', id: 5, result: { layer: 0, tokens: 4, pattern: fixture.attention.patterns[0]! } },
  {
    type: 'result',
    id: 6,
    result: {
      promptTokens: [{ id: 7454, text: 'Once', start: 0, end: 4 }],
      textOffset: 0,
      unsteered: { tokens: [{ id: 2402, text: ' upon', prob: 0.5 }], text: ' upon', stop: 'max-tokens' },
      steered: { tokens: [{ id: 50256, text: '<|endoftext|>', prob: 1 }], text: '<|endoftext|>', stop: 'end-of-text' },
    },
  },
];

const parseFromModel = (raw: unknown) => parseModelToHost(raw, methodOf);

test('valid host → model messages come back as they were sent', () => {
  for (const message of hostToModel) assert.deepStrictEqual(parseHostToModel(overIpc(message)), message);
});

test('valid model → host messages come back as they were sent, tensors still typed arrays', () => {
  for (const message of modelToHost) assert.deepStrictEqual(parseFromModel(overIpc(message)), message);

  const parsed = parseFromModel(overIpc(modelToHost[9]));
  assert.ok('type' in parsed && parsed.type === 'result');
  const { inspection } = parsed.result as { inspection: typeof withTarget };
  assert.ok(inspection.attention.patterns.every((layer) => layer?.data instanceof Float32Array)); // per layer [head, packed causal rows]
  assert.ok(inspection.lens.topIds.data instanceof Int32Array); // [point, position, k]
  assert.ok(inspection.lens.target!.rank.data instanceof Int32Array); // [point, position]
  assert.deepEqual(inspection.attention.patterns.map((layer) => layer?.dims), [[2, 10], [2, 10]]); // 4 tokens: 1 + 2 + 3 + 4 weights a head
  assert.deepEqual(inspection.attention.thumbnails.map((layer) => layer.dims), [[3, 4, 4], [3, 4, 4]]); // two heads and their mean, 4 tokens a side
});

test('an error answer is a message with a type; a parse failure is only {error}', () => {
  // Both have an `error` field, so tell them apart by `type` (ModelClient once tested for `error` and dropped
  // every error answer the process sent).
  const answer = parseFromModel(modelToHost[5]);
  assert.ok('type' in answer && answer.type === 'error');
  assert.deepEqual(answer.error, { code: 'text-too-long', message: 'The text is 2000 tokens; gpt2 reads at most 1024. Select less text.' });

  const failure = parseFromModel({ type: 'error', id: 2, error: { code: 'on-fire', message: '' } });
  assert.ok(!('type' in failure));
  assert.match(failure.error, /^message\.error\.code: expected model-missing \| .* \| internal, got string$/);
});

test('a request with bad params keeps its id, so the process can answer it', () => {
  assert.deepEqual(parseHostToModel({ type: 'request', id: 7, method: 'inspect/run', params: { text: 5 } }), {
    error: 'message.params.text: expected a string, got number',
    id: 7,
  });
  assert.deepEqual(parseHostToModel({ type: 'request', id: 2 ** 60, method: 'inspect/run' }), {
    error: 'message.id: expected a non-negative integer, got number',
    id: null,
  });
});

test('a proxy must say whether certificates are checked', () => {
  const load = hostToModel.at(-1) as Extract<HostToModel, { type: 'request' }>;
  assert.deepEqual(parseHostToModel({ ...load, params: { ...(load.params as object), proxy: { url: 'http://corp:3128' } } }), {
    error: 'message.params.proxy.strictSSL: expected a boolean, got undefined',
    id: 10,
  });
});

test('fields a message should not have are dropped, not passed on', () => {
  const parsed = parseHostToModel({ ...hostToModel[3], params: { ...(hostToModel[3] as { params: object }).params, extra: { deep: [1] } }, extra: true });
  assert.deepStrictEqual(parsed, hostToModel[3]);
});

test('a result must fit the method of the request it answers', () => {
  const lensTargetResult = modelToHost[10] as Extract<ModelToHost, { type: 'result' }>;
  assert.match(errorOf(parseFromModel({ ...lensTargetResult, id: 2 })), /^message\.result\.inspection: expected an object/);
  assert.match(errorOf(parseFromModel({ ...lensTargetResult, id: 99 })), /^message\.id: expected the id of a pending request/);
});

test('a generated token carries the probability the model gave it, from 0 to 1', () => {
  const compared = modelToHost.at(-1) as Extract<ModelToHost, { type: 'result' }>;
  const steered = { tokens: [{ id: 11, text: ',', prob: 1.5 }], text: ',', stop: 'max-tokens' };
  assert.match(errorOf(parseFromModel({ ...compared, result: { ...(compared.result as object), steered } })), /^message\.result\.steered\.tokens\[0\]\.prob: expected a probability from 0 to 1/);
  const noProb = { ...steered, tokens: [{ id: 11, text: ',' }] };
  assert.match(errorOf(parseFromModel({ ...compared, result: { ...(compared.result as object), steered: noProb } })), /prob: expected a finite number/);
});

test('the tokens an inspection sends first are checked like an inspection: top-k and entropy per token, seconds never negative', () => {
  const reading = fixtureReading(fixture);
  const tokens = (patch: object) => parseModelToHost({ type: 'progress', id: 2, progress: { kind: 'tokens', reading, droppedTokens: 0, textOffset: 0, seconds: 0.25, secondsLeft: 1, ...patch } }, methodOf);
  assert.match(errorOf(tokens({ reading: { ...reading, entropy: { dims: [3], data: new Float32Array(3) } } })), /reading\.entropy/);
  assert.match(errorOf(tokens({ reading: { ...reading, top: { ...reading.top, probs: { dims: [4, 2], data: new Float32Array(8) } } } })), /reading\.top\.probs/);
  assert.match(errorOf(tokens({ secondsLeft: -1 })), /secondsLeft/);
});

test('a token holding part of a character keeps its bytes; a piece filed under another id, or a byte past 255, is refused', () => {
  const result = modelToHost[8] as Extract<ModelToHost, { type: 'result' }>;
  const { inspection } = result.result as { inspection: typeof fixture };
  const apostrophe = { id: 447, text: '\ufffd', bytes: [0xe2, 0x80] };
  const split = { ...inspection, tokens: [...inspection.tokens.slice(0, 3), { ...apostrophe, start: 15, end: 16 }], pieces: { ...inspection.pieces, 447: apostrophe } };
  const parsed = parseFromModel(overIpc({ ...result, result: { ...result.result, inspection: split } }));
  assert.ok('type' in parsed && parsed.type === 'result');
  const read = (parsed.result as { inspection: typeof fixture }).inspection;
  assert.deepEqual(read.tokens[3].bytes, [0xe2, 0x80]);
  assert.deepEqual(read.pieces[447], apostrophe);
  const misfiled = { ...inspection, pieces: { ...inspection.pieces, 448: apostrophe } };
  assert.equal(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: misfiled } })), 'message.result.inspection.pieces[448].id: expected 448, got 447');
  const notAByte = { ...inspection, pieces: { ...inspection.pieces, 447: { ...apostrophe, bytes: [0xe2, 0x180] } } };
  assert.match(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: notAByte } })), /pieces\[447\]\.bytes\[1\]: expected a byte/);
});

test('a tensor whose data does not fit its dims is refused', () => {
  const result = modelToHost[8] as Extract<ModelToHost, { type: 'result' }>;
  const { inspection } = result.result as { inspection: typeof fixture };
  const withLayer1 = (layer: unknown) => ({ ...inspection, attention: { ...inspection.attention, patterns: [inspection.attention.patterns[0], layer] } });
  const short = withLayer1({ dims: [2, 10], data: new Float32Array(19) });
  assert.equal(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: short } })), 'message.result.inspection.attention.patterns[1].data: expected 20 elements, got 19');
  const wrongKind = withLayer1({ dims: [2, 10], data: new Float64Array(20) });
  assert.equal(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: wrongKind } })), 'message.result.inspection.attention.patterns[1].data: expected a Float32Array, got object');
  const missingLayer = { ...inspection, attention: { ...inspection.attention, patterns: [inspection.attention.patterns[0]] } };
  assert.equal(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: missingLayer } })), 'message.result.inspection.attention.patterns: expected 2 layers, got 1');
  const smallThumbnail = { ...inspection, attention: { ...inspection.attention, thumbnails: [inspection.attention.thumbnails[0], { dims: [3, 2, 2], data: new Float32Array(12) }] } };
  assert.equal(errorOf(parseFromModel({ ...result, result: { ...result.result, inspection: smallThumbnail } })), 'message.result.inspection.attention.thumbnails[1].dims: expected [3, 4, 4], got [3, 2, 2]');
  const pattern = { type: 'result', id: 5, result: { layer: 0, tokens: 4, pattern: { dims: [2, 9], data: new Float32Array(18) } } };
  assert.equal(errorOf(parseFromModel(pattern)), 'message.result.pattern.dims: expected [2, 10], got [2, 9]');
});

// ——— the fuzzer ———

const SEED = 20_240_601;
const CASES = 3000;
const HUGE = 'x'.repeat(4 * 1024 * 1024 + 1); // one past the text limit; made once, shared by every case

/** Wrong types, and the edges of the right ones. */
function junk(random: SeededRandom, depth = 0): unknown {
  const values: (() => unknown)[] = [
    () => undefined,
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => -0,
    () => 0.5,
    () => NaN,
    () => Infinity,
    () => -Infinity,
    () => 2 ** 53,
    () => 2 ** 31,
    () => 10n,
    () => '',
    () => 'inspect/run',
    () => 'request',
    () => '__proto__',
    () => HUGE,
    () => Symbol('junk'),
    () => () => 'a function',
    () => new Date(0),
    () => new Map([['type', 'request']]),
    () => new Float32Array(3),
    () => new Int32Array(0),
    () => new Float64Array(2),
    () => new Uint8Array(4),
    () => [],
    () => ({}),
    () => Object.create(null),
    // Nested junk: arrays and objects of junk, a few levels deep.
    () => (depth < 3 ? Array.from({ length: 1 + Math.floor(random.next() * 3) }, () => junk(random, depth + 1)) : []),
    () => (depth < 3 ? { type: junk(random, depth + 1), id: junk(random, depth + 1), params: junk(random, depth + 1) } : {}),
  ];
  return values[Math.floor(random.next() * values.length)]();
}

type Container = Record<string | number, unknown>;

/** Every object or array inside `value` (typed arrays are leaves), with the keys it holds. */
function containers(value: unknown, found: Container[] = []): Container[] {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return found;
  found.push(value as Container);
  for (const child of Object.values(value)) containers(child, found);
  return found;
}

const pick = <T>(random: SeededRandom, items: readonly T[]): T => items[Math.floor(random.next() * items.length)];

/** A copy of `message` with one to three of: a field dropped, replaced with junk or another message's part, added. */
function mutate(random: SeededRandom, message: unknown, others: readonly unknown[]): unknown {
  let copy: unknown = structuredClone(message);
  const rounds = 1 + Math.floor(random.next() * 3);
  for (let round = 0; round < rounds; round++) {
    const targets = containers(copy);
    if (targets.length === 0 || random.next() < 0.03) {
      copy = junk(random);
      continue;
    }
    const target = pick(random, targets);
    const keys = Object.keys(target);
    const key = keys.length > 0 && random.next() < 0.85 ? pick(random, keys) : pick(random, ['type', 'id', 'extra', 'params', 'result', 'kind', 'dims', 'data']);
    const roll = random.next();
    if (roll < 0.25) delete target[key];
    else if (roll < 0.8) target[key] = junk(random);
    else if (roll < 0.9) target[key] = structuredClone(pick(random, containers(pick(random, others))));
    else if (ArrayBuffer.isView(target[key])) target[key] = new Float32Array(1 + Math.floor(random.next() * 8));
    else target[key] = typeof target[key] === 'number' ? -(target[key] as number) - 1 : [target[key]];
  }
  return copy;
}

const describeCase = (value: unknown) => inspect(value, { depth: 6, maxStringLength: 60, maxArrayLength: 8 });

function fuzz<M>(
  name: string,
  valid: readonly M[],
  parse: (raw: unknown) => M | { error: string; id?: number | null },
  check: (parsed: M) => void,
): { accepted: number; refused: number } {
  const random = new SeededRandom(SEED);
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < CASES; i++) {
    const mutated = mutate(random, pick(random, valid), valid);
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(mutated);
    } catch (error) {
      assert.fail(`${name} case ${i} (seed ${SEED}) threw ${String(error)} on ${describeCase(mutated)}`);
    }
    if (typeof parsed === 'object' && parsed !== null && 'type' in parsed) {
      accepted++;
      // Accepted means valid: the parsed message passes again, unchanged, and survives IPC as it is.
      assert.deepStrictEqual(parse(overIpc(parsed)), parsed, `${name} case ${i}: accepted ${describeCase(mutated)}`);
      check(parsed as M);
    } else {
      refused++;
      assert.equal(typeof (parsed as { error: unknown }).error, 'string', `${name} case ${i}: ${describeCase(parsed)}`);
    }
  }
  return { accepted, refused };
}

test(`fuzz: ${CASES} mutated host → model messages are parsed or refused, never thrown`, () => {
  const { accepted, refused } = fuzz<HostToModel>('host → model', hostToModel, parseHostToModel, (message) => {
    assert.ok(Number.isSafeInteger(message.id) && message.id >= 0);
    if (message.type === 'request') assert.ok(MODEL_METHODS.includes(message.method));
  });
  // Both outcomes are common: the fuzzer is neither only breaking messages nor only leaving them valid.
  assert.ok(accepted > CASES * 0.05 && refused > CASES * 0.5, `accepted ${accepted}, refused ${refused}`);

  // A refused request still says which request it was when its id could be read.
  const random = new SeededRandom(SEED + 1);
  for (let i = 0; i < 500; i++) {
    const parsed = parseHostToModel(mutate(random, hostToModel[2], hostToModel));
    if ('error' in parsed) assert.ok(parsed.id === null || (Number.isSafeInteger(parsed.id) && parsed.id >= 0), describeCase(parsed));
  }
});

test(`fuzz: ${CASES} mutated model → host messages are parsed or refused, never thrown`, () => {
  const { accepted, refused } = fuzz<ModelToHost>('model → host', modelToHost, parseFromModel, (message) => {
    if (message.type !== 'result' || !('inspection' in message.result)) return;
    const { tokens, attention, lens } = message.result.inspection;
    const n = tokens.length;
    for (const layer of attention.patterns) {
      if (layer === null) continue; // a layer not carried
      assert.ok(layer.data instanceof Float32Array && layer.data.length === layer.dims.reduce((a, b) => a * b, 1));
      assert.deepEqual(layer.dims.slice(1), [(n * (n + 1)) / 2]);
    }
    assert.ok(lens.topIds.data instanceof Int32Array);
  });
  assert.ok(accepted > CASES * 0.05 && refused > CASES * 0.5, `accepted ${accepted}, refused ${refused}`);
});

test('fuzz: junk that is not a message at all', () => {
  const random = new SeededRandom(SEED + 2);
  for (let i = 0; i < 1000; i++) {
    const value = junk(random);
    assert.equal(typeof errorOf(parseHostToModel(value)), 'string');
    assert.equal(typeof errorOf(parseFromModel(value)), 'string');
  }
});

function errorOf(parsed: object): string {
  assert.ok(!('type' in parsed), `expected a refusal, got ${describeCase(parsed)}`);
  return (parsed as { error: string }).error;
}

// Steered generation (activation addition), held to its definition (protocol/interventions.ts) on the
// reference GPT-2: the steering vector from the padded add/subtract texts' hook_resid_pre, added at the
// prompt's first positions while the prompt runs, then a greedy chain on the reference with that hook.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ModelServer } from '../../engine/model-server';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import type { CompareResult } from '../../protocol/model-messages';
import { Inbox } from './raw-model-process';
import { generatedModel, referenceModel, SHAPES } from './generated-models';
import { testCacheDir } from './generated-models';
import { referenceForward, softmax } from './reference-gpt2';

const SHAPE = SHAPES.deep; // 4 layers, 2 heads, d=16
const dir = generatedModel(SHAPE);
const { config, weights } = referenceModel(dir);

/** The reference's greedy chain with v[k] added to blocks.{layer}.hook_resid_pre at k < min(K, prompt length). */
function referenceSteered(prompt: number[], add: number[], subtract: number[], layer: number, scale: number, steps: number): { id: number; prob: number }[] {
  const K = Math.max(add.length, subtract.length);
  const pad = (ids: number[]) => [...ids, ...new Array<number>(K - ids.length).fill(220)];
  const a = referenceForward(config, weights, pad(add)).resid[layer];
  const s = referenceForward(config, weights, pad(subtract)).resid[layer];
  const steered = Math.min(K, prompt.length);
  const hook = (name: string, x: Float32Array[]) => {
    if (name !== `blocks.${layer}.hook_resid_pre`) return x;
    return x.map((row, k) => (k < steered ? Float32Array.from(row, (v, i) => v + scale * (a[k][i] - s[k][i])) : row));
  };
  const ids = [...prompt];
  const chain: { id: number; prob: number }[] = [];
  for (let step = 0; step < steps; step++) {
    const logits = referenceForward(config, weights, ids, hook).logits.at(-1)!;
    let best = 0;
    for (let v = 1; v < logits.length; v++) if (logits[v] > logits[best]) best = v;
    chain.push({ id: best, prob: softmax(logits)[best] });
    ids.push(best);
  }
  return chain;
}

describe(`steered generation on a generated model (${SHAPE.nLayer} layers)`, () => {
  let engine: Gpt2Engine;
  before(async () => {
    engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
  });
  after(() => engine.dispose());

  const cases = [
    { what: 'add text longer than the subtract text (padded with spaces), shorter than the prompt', prompt: 'I think that you are a', add: 'Love and kindness', subtract: 'Hate', layer: 1, scale: 4 },
    { what: 'K longer than the prompt: only the prompt is steered', prompt: 'Hello', add: 'Weddings are all I talk about', subtract: 'Nothing', layer: 2, scale: 8 },
    { what: 'steering at layer 0, negative scale', prompt: 'The weather today is', add: ' cold', subtract: ' warm', layer: 0, scale: -3 },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const ids = (t: string) => engine.tokenize(t).map((x) => x.id);
      const generation = await engine.generateSteered(c.prompt, { maxNewTokens: 6 }, { add: c.add, subtract: c.subtract, layer: c.layer, scale: c.scale });
      const expected = referenceSteered(ids(c.prompt), ids(c.add), ids(c.subtract), c.layer, c.scale, generation.tokens.length);
      assert.deepEqual(generation.tokens.map((t) => t.id), expected.map((t) => t.id));
      generation.tokens.forEach((t, i) => assert.ok(Math.abs(Math.log(t.prob) - Math.log(expected[i].prob)) < 1e-3, `token ${i}: ${t.prob} vs ${expected[i].prob}`));
      const plain = await engine.generate(c.prompt, { maxNewTokens: 6 });
      assert.notDeepEqual(plain.tokens.map((t) => t.id), generation.tokens.map((t) => t.id), 'the steering changes the continuation');
    });
  }

  test('scale 0 is the unsteered model', async () => {
    const steered = await engine.generateSteered('Once upon a time', { maxNewTokens: 8 }, { add: 'Love', subtract: 'Hate', layer: 1, scale: 0 });
    const plain = await engine.generate('Once upon a time', { maxNewTokens: 8 });
    assert.deepEqual(steered.tokens.map((t) => t.id), plain.tokens.map((t) => t.id));
    steered.tokens.forEach((t, i) => assert.ok(Math.abs(t.prob - plain.tokens[i].prob) < 1e-6));
  });

  test('a layer past the model is refused', async () => {
    await assert.rejects(engine.generateSteered('Hi', { maxNewTokens: 2 }, { add: 'a', subtract: 'b', layer: SHAPE.nLayer, scale: 1 }), /Layer 4 does not exist/);
  });
});

describe('complete/compare: the same prompt continued unsteered and steered (Compare Completions)', () => {
  const steering = { add: 'Love and kindness', subtract: 'Hate', layer: 1, scale: 4 };
  const params = { prompt: 'I think that you are a', maxNewTokens: 6, temperature: 0, topK: 40, topP: 0.95, stopAtNewline: false, windowToContext: true, steering };

  test('answers what generate and generateSteered give, and a newer completion does not supersede it', async () => {
    const inbox = new Inbox();
    const server = new ModelServer((message) => inbox.push(message));
    const engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
    try {
      server.receive({ type: 'request', id: 1, method: 'model/load', params: { source: { kind: 'folder', path: dir }, device: 'cpu', storageDir: testCacheDir() } });
      assert.equal((await inbox.answer(1)).type, 'result');
      server.receive({ type: 'request', id: 2, method: 'complete/compare', params });
      server.receive({ type: 'request', id: 3, method: 'complete/run', params: { ...params, steering: undefined } });
      const answer = await inbox.answer(2);
      assert.equal(answer.type, 'result', JSON.stringify(answer));
      const compared = answer.result as CompareResult;
      assert.equal((await inbox.answer(3)).type, 'result');

      const plain = await engine.generate(params.prompt, { maxNewTokens: 6 });
      const steered = await engine.generateSteered(params.prompt, { maxNewTokens: 6 }, steering);
      assert.deepEqual(compared.promptTokens.map((t) => t.id), engine.tokenize(params.prompt).map((t) => t.id));
      assert.deepEqual(compared.unsteered.tokens.map((t) => t.id), plain.tokens.map((t) => t.id));
      assert.deepEqual(compared.steered.tokens.map((t) => t.id), steered.tokens.map((t) => t.id));
      compared.steered.tokens.forEach((t, i) => assert.ok(Math.abs(t.prob - steered.tokens[i].prob) < 1e-6));
      assert.equal(compared.steered.text, steered.text);
      assert.equal(compared.unsteered.stop, 'max-tokens');
    } finally {
      await server.dispose();
      await engine.dispose();
    }
  });
});

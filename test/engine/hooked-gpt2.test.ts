// The engine's hooked graph, held to the plain-loop reference forward on generated models: logits, every
// residual point, every attention pattern, and the logit lens's top-k, entropy, KL and target.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EVERY_PATTERN_UP_TO, Gpt2Engine } from '../../engine/run/gpt2-engine';
import { GlassboxError } from '../../protocol/errors';
import { patternRow, type Inspection } from '../../protocol/inspection';
import type { Float32Tensor } from '../../protocol/tensor';
import { generatedModel, referenceModel, SHAPES, testCacheDir } from './generated-models';
import { referenceForward, referenceLens, referenceNext, softmax, type ReferenceRun } from './reference-gpt2';

const TOLERANCE = 1e-4;
const TEXT = 'The quick brown fox jumps over the lazy dog.\n\tif (x) { return "é🎉"; }';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= TOLERANCE)) {
      assert.fail(`${what}[${i}]: engine ${actual[i]}, reference ${expected[i]}`);
    }
  }
}

/** One layer's packed patterns ([head, n·(n+1)/2]) against the reference's full rows; its masked keys must be zero. */
function assertPatternsOf(layer: Float32Tensor | null, reference: readonly Float32Array[][], what: string): void {
  assert.ok(layer, `${what}: present`);
  const heads = reference.length;
  const n = reference[0].length;
  assert.deepEqual(layer.dims, [heads, (n * (n + 1)) / 2]);
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < n; q++) {
      const expected = reference[h][q];
      assertClose(patternRow(layer, h, q), expected.subarray(0, q + 1), `${what}[head ${h}][query ${q}]`);
      assert.ok(expected.subarray(q + 1).every((w) => w === 0), 'the reference attends only backwards');
    }
  }
}

/**
 * Thumbnails as the protocol defines them, from the reference's patterns: blocks of b = ⌈n / 64⌉ tokens,
 * ⌈n / b⌉ a side, each tile the largest weight in its block (0 past the last token); each head, then the
 * mean over heads.
 */
function referenceThumbnails(layer: readonly Float32Array[][]): { dims: number[]; data: number[] } {
  const n = layer[0].length;
  const block = Math.ceil(n / 64);
  const tiles = Math.ceil(n / block);
  const mean = layer[0].map((_, q) => Float32Array.from(layer[0][q], (_, k) => layer.reduce((sum, head) => sum + head[q][k], 0) / layer.length));
  const data: number[] = [];
  for (const rows of [...layer, mean]) {
    for (let r = 0; r < tiles; r++) {
      for (let c = 0; c < tiles; c++) {
        let max = 0;
        for (let q = r * block; q < Math.min(n, (r + 1) * block); q++) for (let k = c * block; k < Math.min(n, (c + 1) * block); k++) max = Math.max(max, rows[q][k]);
        data.push(max);
      }
    }
  }
  return { dims: [layer.length + 1, tiles, tiles], data };
}

/**
 * Each generated token is the reference's argmax after the prompt and the tokens before it, with the
 * reference's probability (generation stops at end-of-text, so the chain ends with the tokens).
 */
function assertReferenceChain(reference: ReturnType<typeof referenceModel>, promptIds: readonly number[], generated: readonly { id: number; prob: number }[]): void {
  const chain = [...promptIds];
  generated.forEach((token, i) => {
    const probs = softmax(referenceForward(reference.config, reference.weights, chain).logits.at(-1)!);
    const argmax = probs.indexOf(Math.max(...probs));
    assert.equal(token.id, argmax, `generated token ${i}`);
    assert.ok(Math.abs(token.prob - probs[argmax]) < TOLERANCE, `token ${i} probability`);
    chain.push(token.id);
  });
}

for (const [shapeName, shape] of Object.entries(SHAPES)) {
  describe(`hooked GPT-2 against the reference (${shapeName}: ${shape.nLayer} layers, ${shape.nHead} heads, d=${shape.nEmbd})`, () => {
    let engine: Gpt2Engine;
    let reference: ReturnType<typeof referenceModel>;
    let inspection: Inspection;
    let run: ReferenceRun;
    let ids: number[];
    const target = 262; // " the"

    before(async () => {
      const dir = generatedModel(shape);
      engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
      reference = referenceModel(dir);
      const text = shape.nCtx >= 300 ? TEXT.repeat(11) : TEXT;
      inspection = await engine.inspect(text, { topK: 5, targetId: target, residuals: true, patternLayers: 'all' });
      if (shape.nCtx >= 300) assert.ok(inspection.tokens.length > 256 && inspection.tokens.length < 512, 'the final point spans two chunks, the last padded');
      ids = inspection.tokens.map((t) => t.id);
      run = referenceForward(reference.config, reference.weights, ids);
    });
    after(() => engine.dispose());

    test('reports its model and the CPU backend', () => {
      assert.equal(inspection.backend, 'cpu');
      assert.equal(inspection.model.nLayer, shape.nLayer);
      assert.equal(inspection.model.nHead, shape.nHead);
      assert.equal(engine.randomWeights, true);
    });

    test('logits of a plain forward equal the reference at every position', async () => {
      const logits = await engine.logits(inspection.tokens);
      assert.deepEqual(logits.dims, [ids.length, reference.config.vocabSize]);
      const v = reference.config.vocabSize;
      run.logits.forEach((row, t) => assertClose(logits.data.subarray(t * v, (t + 1) * v), row, `logits[${t}]`));
    });

    test('every residual point (hook_resid_pre of each block, then hook_resid_post) equals the reference', () => {
      const resid = inspection.residuals!;
      const [points, n, d] = resid.dims;
      assert.equal(points, shape.nLayer + 1);
      for (let p = 0; p < points; p++) {
        for (let t = 0; t < n; t++) assertClose(resid.data.subarray((p * n + t) * d, (p * n + t + 1) * d), run.resid[p][t], `${inspection.lens.hooks[p]}[${t}]`);
      }
    });

    test('every attention pattern (blocks.{l}.attn.hook_pattern) equals the reference', () => {
      const { patterns, hooks } = inspection.attention;
      const layers = patterns.length;
      assert.equal(layers, shape.nLayer);
      assert.deepEqual(hooks, Array.from({ length: layers }, (_, l) => `blocks.${l}.attn.hook_pattern`));
      for (let l = 0; l < layers; l++) assertPatternsOf(patterns[l], run.patterns[l], hooks[l]);
    });

    test('every layer\'s thumbnails are its heads\' patterns and their mean, max-pooled as the reference', () => {
      const { thumbnails, hooks } = inspection.attention;
      assert.equal(thumbnails.length, shape.nLayer);
      thumbnails.forEach((layer, l) => {
        const expected = referenceThumbnails(run.patterns[l]);
        assert.deepEqual(layer.dims, expected.dims, `${hooks[l]} thumbnail dims`);
        assertClose(layer.data, expected.data, `${hooks[l]} thumbnails`);
      });
    });

    test('a layer asked for later equals the reference, from the queries the inspection kept', async () => {
      const last = shape.nLayer - 1;
      assertPatternsOf(await engine.attentionPattern(ids, last), run.patterns[last], `blocks.${last}.attn.hook_pattern, kept`);
      assert.equal(engine.lastPatternRanModel, false);
      await assert.rejects(engine.attentionPattern(ids, shape.nLayer), (error: unknown) => error instanceof GlassboxError && error.code === 'bad-request');
    });

    test('the logit lens matches the reference: top-k, entropy, KL to the final layer, target prob and rank', () => {
      const cells = referenceLens(reference.config, reference.weights, run.resid, { topK: 5, target });
      const { lens } = inspection;
      const [points, n, k] = lens.topIds.dims;
      assert.equal(lens.hooks.at(-1), `blocks.${shape.nLayer - 1}.hook_resid_post`);
      for (let p = 0; p < points; p++) {
        for (let t = 0; t < n; t++) {
          const cell = cells[p][t];
          const at = (p * n + t) * k;
          const where = `${lens.hooks[p]} position ${t}`;
          assertClose(lens.topProbs.data.subarray(at, at + k), cell.topProbs, `${where} top-k probs`);
          // Ids agree wherever the probabilities are not tied within the tolerance.
          for (let j = 0; j < k; j++) {
            const tied = cell.topProbs.some((q, i) => i !== j && Math.abs(q - cell.topProbs[j]) <= TOLERANCE);
            if (!tied) assert.equal(lens.topIds.data[at + j], cell.topIds[j], `${where} top-${j + 1} id`);
          }
          assertClose([lens.entropy.data[p * n + t], lens.kl.data[p * n + t]], [cell.entropy, cell.kl], `${where} entropy, KL`);
          assertClose([lens.target!.prob.data[p * n + t]], [cell.targetProb!], `${where} target prob`);
          assert.ok(Math.abs(lens.target!.rank.data[p * n + t] - cell.targetRank!) <= 1, `${where} target rank`);
        }
      }
      // The last point is the model's output: KL to itself is zero.
      for (let t = 0; t < n; t++) assert.ok(Math.abs(lens.kl.data[(points - 1) * n + t]) < 1e-5);
    });

    test('probability and rank of each actual next token match the reference', () => {
      const next = referenceNext(run.logits, ids);
      const n = ids.length;
      assertClose(inspection.next.prob.data.subarray(0, n - 1), next.prob.slice(0, n - 1), 'next prob');
      assert.ok(Number.isNaN(inspection.next.prob.data[n - 1]));
      assert.equal(inspection.next.rank.data[n - 1], -1);
      for (let t = 0; t < n - 1; t++) assert.ok(Math.abs(inspection.next.rank.data[t] - next.rank[t]) <= 1, `next rank ${t}`);
    });

    test('greedy generation follows the reference argmax chain', async () => {
      const prompt = 'Once upon a time';
      const generation = await engine.generate(prompt, { maxNewTokens: 6 });
      assertReferenceChain(reference, engine.tokenize(prompt).map((t) => t.id), generation.tokens);
      assert.ok(generation.tokens.length > 0);
    });
  });
}

describe('sampling', () => {
  let engine: Gpt2Engine;
  before(async () => {
    engine = await Gpt2Engine.load({ modelDir: generatedModel(SHAPES.small), cacheDir: testCacheDir(), device: 'cpu' });
  });
  after(() => engine.dispose());

  test('the same seed gives the same tokens; another seed gives others', async () => {
    const options = { maxNewTokens: 12, temperature: 1.5, topK: 0, topP: 1 };
    const a = await engine.generate('Hello', { ...options, seed: 7 });
    const b = await engine.generate('Hello', { ...options, seed: 7 });
    const c = await engine.generate('Hello', { ...options, seed: 8 });
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
  });

  test('a tiny top-p leaves only the top token: sampling is greedy whatever the seed', async () => {
    const greedy = await engine.generate('Hello', { maxNewTokens: 5 });
    const sampled = await engine.generate('Hello', { maxNewTokens: 5, temperature: 2, topK: 0, topP: 1e-6, seed: 11 });
    assert.deepEqual(sampled.tokens.map((t) => t.id), greedy.tokens.map((t) => t.id));
  });

  test('top-k 1 sampling is greedy whatever the seed', async () => {
    const greedy = await engine.generate('Hello', { maxNewTokens: 5 });
    const sampled = await engine.generate('Hello', { maxNewTokens: 5, temperature: 2, topK: 1, seed: 3 });
    assert.deepEqual(sampled.tokens, greedy.tokens);
  });
});

/** Two engines on one model, loaded before the suite's tests and disposed after them: `engine` carries state
 * from one call to the next, `fresh` is the same model without any, the baseline. */
function enginePair(shape: (typeof SHAPES)[keyof typeof SHAPES]): { engine: Gpt2Engine; fresh: Gpt2Engine } {
  const pair = {} as { engine: Gpt2Engine; fresh: Gpt2Engine };
  before(async () => {
    const options = { modelDir: generatedModel(shape), cacheDir: testCacheDir(), device: 'cpu' } as const;
    pair.engine = await Gpt2Engine.load(options);
    pair.fresh = await Gpt2Engine.load(options);
  });
  after(async () => {
    await pair.engine.dispose();
    await pair.fresh.dispose();
  });
  return pair;
}

describe('KV cache reuse between generations', () => {
  const pair = enginePair(SHAPES.small);

  test('a prompt that extends the last generation reuses its cache and continues exactly as a fresh run', async () => {
    const prompt = 'The residual stream is the sum of the outputs of every earlier layer and';
    const first = await pair.engine.generate(prompt, { maxNewTokens: 6 });
    assert.equal(first.reusedTokens, 0);
    const extended = prompt + first.text;
    const reused = await pair.engine.generate(extended, { maxNewTokens: 6 });
    const promptTokens = pair.engine.tokenize(extended).length;
    assert.ok(reused.reusedTokens >= promptTokens - 2, `reused ${reused.reusedTokens} of ${promptTokens} prompt tokens`);
    assert.ok(reused.reusedTokens < promptTokens, 'at least one prompt token runs');
    const baseline = await pair.fresh.generate(extended, { maxNewTokens: 6 });
    assert.deepEqual(reused.tokens.map((t) => t.id), baseline.tokens.map((t) => t.id));
    // The cached keys and values are the same numbers, summed in another order: equal to float precision.
    reused.tokens.forEach((t, i) => assert.ok(Math.abs(t.prob - baseline.tokens[i].prob) < 1e-6, `token ${i} probability`));
  });

  test('an unrelated prompt starts from an empty cache', async () => {
    await pair.engine.generate('Once upon a time there was a model that read text', { maxNewTokens: 3 });
    const other = await pair.engine.generate('def fib(n): return n if n < 2 else fib(n - 1) + fib(n - 2)', { maxNewTokens: 3 });
    assert.equal(other.reusedTokens, 0);
  });
});

/** An engine on a generated model and the reference of its weights, loaded before the suite's tests. */
function engineAndReference(shape: (typeof SHAPES)[keyof typeof SHAPES]): { engine: Gpt2Engine; reference: ReturnType<typeof referenceModel> } {
  const pair = {} as { engine: Gpt2Engine; reference: ReturnType<typeof referenceModel> };
  before(async () => {
    const dir = generatedModel(shape);
    pair.engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
    pair.reference = referenceModel(dir);
  });
  after(() => pair.engine.dispose());
  return pair;
}

describe('generation on the engine\'s own KV cache, across its growth and a reused prefix', () => {
  const ctx = engineAndReference(SHAPES.long);

  test('a prompt near 128 tokens generates across several of the cache\'s growth steps as the reference does', async () => {
    const prompt = TEXT.repeat(5);
    const promptIds = ctx.engine.tokenize(prompt).map((t) => t.id);
    assert.ok(promptIds.length > 100 && promptIds.length < 128, `prompt of ${promptIds.length} tokens`);
    const generation = await ctx.engine.generate(prompt, { maxNewTokens: 30 });
    assert.equal(generation.tokens.length, 30, 'no early stop hides a step');
    assertReferenceChain(ctx.reference, promptIds, generation.tokens);

    // Typing on: the cache keeps the shared prefix, forgets the rest, and continues as the reference.
    const extended = prompt + generation.text.slice(0, 10) + ' and then';
    const extendedIds = ctx.engine.tokenize(extended).map((t) => t.id);
    const continued = await ctx.engine.generate(extended, { maxNewTokens: 8 });
    assert.ok(continued.reusedTokens >= promptIds.length, `reused ${continued.reusedTokens} tokens`);
    assertReferenceChain(ctx.reference, extendedIds, continued.tokens);
  });

  test('a generation that fills the context stops there and says so', async () => {
    const prompt = TEXT.repeat(7);
    const promptTokens = ctx.engine.tokenize(prompt).length;
    const generation = await ctx.engine.generate(prompt, { maxNewTokens: 500 });
    assert.equal(generation.stop, 'context-full');
    assert.equal(promptTokens + generation.tokens.length, SHAPES.long.nCtx);
  });
});

describe('an inspection that would not fit in memory', () => {
  let engine: Gpt2Engine;
  before(async () => {
    // 1 MB free: less than any inspection's lens working set.
    engine = await Gpt2Engine.load({ modelDir: generatedModel(SHAPES.small), cacheDir: testCacheDir(), device: 'cpu', availableMemory: () => 2 ** 20 });
  });
  after(() => engine.dispose());

  test('is refused before it runs, with a message; generation is not affected', async () => {
    await assert.rejects(engine.inspect(TEXT), (error: unknown) => error instanceof GlassboxError && error.code === 'text-too-long' && /needs about .* GB of memory .* Select fewer tokens\./.test(error.message));
    const generation = await engine.generate(TEXT, { maxNewTokens: 3 });
    assert.equal(generation.tokens.length, 3);
  });
});

describe('re-inspecting after an edit near the end', () => {
  const pair = enginePair(SHAPES.long);

  test('runs only the changed tail and gives the same inspection as a full run', async () => {
    const original = TEXT.repeat(4);
    await pair.engine.inspect(original, { topK: 5, targetId: 262, residuals: true });
    assert.equal(pair.engine.lastReusedTokens, 0);
    const edited = original.slice(0, -6) + ' edited at the end';
    const spliced = await pair.engine.inspect(edited, { topK: 5, targetId: 262, residuals: true });
    const n = spliced.tokens.length;
    assert.ok(pair.engine.lastReusedTokens > n - 12, `reused ${pair.engine.lastReusedTokens} of ${n} positions`);
    const full = await pair.fresh.inspect(edited, { topK: 5, targetId: 262, residuals: true });
    assert.deepEqual(spliced.tokens, full.tokens);
    const pairs: [string, ArrayLike<number>, ArrayLike<number>][] = [
      ['next prob', spliced.next.prob.data, full.next.prob.data],
      ['lens top probs', spliced.lens.topProbs.data, full.lens.topProbs.data],
      ['lens entropy', spliced.lens.entropy.data, full.lens.entropy.data],
      ['lens KL', spliced.lens.kl.data, full.lens.kl.data],
      ['target prob', spliced.lens.target!.prob.data, full.lens.target!.prob.data],
      ...spliced.attention.patterns.map((layer, l): [string, ArrayLike<number>, ArrayLike<number>] => [`patterns of layer ${l}`, layer?.data ?? [], full.attention.patterns[l]?.data ?? []]),
      ...spliced.attention.thumbnails.map((layer, l): [string, ArrayLike<number>, ArrayLike<number>] => [`thumbnails of layer ${l}`, layer.data, full.attention.thumbnails[l].data]),
      ['residuals', spliced.residuals!.data, full.residuals!.data],
    ];
    for (const [what, a, b] of pairs) {
      const finite = (x: number) => (Number.isNaN(x) ? -1 : x);
      assertClose(Array.from(a, finite), Array.from(b, finite), what);
    }
    assert.deepEqual(spliced.attention.patterns.map((layer) => layer?.dims), full.attention.patterns.map((layer) => layer?.dims));
    assert.ok(spliced.attention.patterns.every((layer) => layer !== null), 'a short text carries every layer');
    assert.deepEqual(Array.from(spliced.next.rank.data), Array.from(full.next.rank.data));
  });

  test('a different text, or other options, runs in full', async () => {
    await pair.engine.inspect(TEXT.repeat(2), { topK: 5 });
    await pair.engine.inspect(TEXT.repeat(2), { topK: 3 });
    assert.equal(pair.engine.lastReusedTokens, 0);
    await pair.engine.inspect('A completely different beginning. ' + TEXT, { topK: 3 });
    assert.equal(pair.engine.lastReusedTokens, 0);
  });
});

describe('a text longer than EVERY_PATTERN_UP_TO tokens', () => {
  const ctx = engineAndReference(SHAPES.long);

  test('carries the full patterns of the layers asked for only, and every layer\'s thumbnails', async () => {
    const inspection = await ctx.engine.inspect(TEXT.repeat(11), { topK: 3, patternLayers: [1] });
    const n = inspection.tokens.length;
    assert.ok(n > EVERY_PATTERN_UP_TO, `${n} tokens`);
    assert.deepEqual(inspection.attention.patterns.map((layer) => layer !== null), [false, true, false]);
    const run = referenceForward(ctx.reference.config, ctx.reference.weights, inspection.tokens.map((t) => t.id));
    assertPatternsOf(inspection.attention.patterns[1], run.patterns[1], 'blocks.1.attn.hook_pattern');
    inspection.attention.thumbnails.forEach((layer, l) => assertClose(layer.data, referenceThumbnails(run.patterns[l]).data, `thumbnails of layer ${l}`));
  });

  test('its other layers come from its kept queries after a hover inspected another line, and from a new run after two', async () => {
    const long = await ctx.engine.inspect(TEXT.repeat(11), { topK: 3, patternLayers: [1] });
    const ids = long.tokens.map((t) => t.id);
    const run = referenceForward(ctx.reference.config, ctx.reference.weights, ids);
    await ctx.engine.inspect('A line the user hovered.', { topK: 5 });
    assertPatternsOf(await ctx.engine.attentionPattern(ids, 2), run.patterns[2], 'blocks.2.attn.hook_pattern after a hover');
    assert.equal(ctx.engine.lastPatternRanModel, false);
    await ctx.engine.inspect('Another line.', { topK: 5 });
    await ctx.engine.inspect('And one more.', { topK: 5 });
    assertPatternsOf(await ctx.engine.attentionPattern(ids, 0), run.patterns[0], 'blocks.0.attn.hook_pattern after two more');
    assert.equal(ctx.engine.lastPatternRanModel, true);
  });
});

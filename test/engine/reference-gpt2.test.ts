// Pins the reference GPT-2 itself on cases that can be checked by hand, before the engine is held to it.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  geluNew,
  layerNorm,
  randomWeights,
  referenceForward,
  referenceLens,
  referenceNext,
  referenceWeightShapes,
  seededRandom,
  softmax,
} from './reference-gpt2';
import type { ReferenceConfig, ReferenceWeights } from './reference-gpt2';

const tiny: ReferenceConfig = { nLayer: 2, nHead: 2, nEmbd: 8, nCtx: 16, vocabSize: 60, layerNormEpsilon: 1e-5 };

function assertClose(actual: number, expected: number, tolerance: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} ${actual} is not within ${tolerance} of ${expected}`);
}

/** All weights zero except those given, so a test sets only what its hand calculation needs. */
function sparseWeights(config: ReferenceConfig, given: Record<string, Float32Array>): ReferenceWeights {
  const shapes = referenceWeightShapes(config);
  for (const name of Object.keys(given)) assert.ok(shapes.has(name), `unknown weight ${name}`);
  return (name) => given[name] ?? new Float32Array(shapes.get(name)!.reduce((n, d) => n * d, 1));
}

/** wte and wpe from `randomWeights`, everything else zero. */
function embeddingsOnly(config: ReferenceConfig, seed: number): ReferenceWeights {
  const random = randomWeights(config, seed);
  return sparseWeights(config, { 'wte.weight': random('wte.weight'), 'wpe.weight': random('wpe.weight') });
}

/** Indices of `values` by descending value, ties by ascending index: the order the lens's top-k promises. */
function argsortDescending(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
}

describe('building blocks', () => {
  test('layerNorm uses the biased variance, then weight and bias', () => {
    // [1, 2, 3, 4]: mean 2.5, biased variance 1.25, so (x - 2.5) / √1.25
    const x = Float32Array.of(1, 2, 3, 4);
    const ones = new Float32Array(4).fill(1);
    const zeros = new Float32Array(4);
    const y = layerNorm(x, ones, zeros, 0);
    [-1.5, -0.5, 0.5, 1.5].forEach((c, i) => assertClose(y[i], c / Math.sqrt(1.25), 1e-6));

    const scaled = layerNorm(x, Float32Array.of(2, 2, 2, 2), Float32Array.of(1, 0, 0, -1), 0.25);
    [-1.5, -0.5, 0.5, 1.5].forEach((c, i) => assertClose(scaled[i], (2 * c) / Math.sqrt(1.5) + [1, 0, 0, -1][i], 1e-6));

    // a constant row has zero variance: eps keeps it finite and the output is the bias
    assert.deepEqual(Array.from(layerNorm(Float32Array.of(3, 3, 3, 3), ones, Float32Array.of(0.5, 0, 0, 0), 1e-5)), [0.5, 0, 0, 0]);
  });

  test('geluNew is the tanh approximation', () => {
    assert.equal(geluNew(0), 0);
    // torch.nn.functional.gelu(x, approximate='tanh') at 1, -1 and 2
    assertClose(geluNew(1), 0.841192, 1e-6);
    assertClose(geluNew(-1), -0.158808, 1e-6);
    assertClose(geluNew(2), 1.954598, 1e-6);
    // and not the exact erf GELU, which is 0.841345 at 1
    assert.ok(Math.abs(geluNew(1) - 0.841345) > 1e-4);
    assertClose(geluNew(10), 10, 1e-9);
    assertClose(geluNew(-10), 0, 1e-9);
  });

  test('softmax is stable and sums to 1', () => {
    const p = softmax([1000, 1000, 1000 + Math.log(2)]);
    assert.deepEqual(Array.from(p, (x) => Number(x.toFixed(12))), [0.25, 0.25, 0.5]);
  });
});

describe('referenceForward', () => {
  test('with only embeddings, attention is uniform over the causal prefix and the output is uniform', () => {
    const weights = embeddingsOnly(tiny, 1);
    const ids = [5, 0, 59, 5, 12];
    const run = referenceForward(tiny, weights, ids);
    const T = ids.length;

    // q = k = 0 makes every score 0: row q spreads 1 / (q + 1) over keys 0 … q
    assert.equal(run.patterns.length, tiny.nLayer);
    for (const layer of run.patterns) {
      assert.equal(layer.length, tiny.nHead);
      for (const head of layer) {
        head.forEach((row, q) => {
          assert.equal(row.length, T);
          row.forEach((p, k) => assertClose(p, k <= q ? 1 / (q + 1) : 0, 1e-7, `pattern[${q}][${k}]`));
        });
      }
    }

    // zero blocks add nothing: every residual point is the embedding, wte[id] + wpe[t]
    const wte = weights('wte.weight');
    const wpe = weights('wpe.weight');
    const D = tiny.nEmbd;
    assert.equal(run.resid.length, tiny.nLayer + 1);
    for (const point of run.resid) {
      point.forEach((row, t) => row.forEach((x, d) => assert.equal(x, Math.fround(wte[ids[t] * D + d] + wpe[t * D + d]))));
    }

    // ln_f's weight and bias are zero, so every logit is 0 and every token ties
    for (const row of run.logits) assert.ok(row.every((x) => x === 0));
    const next = referenceNext(run.logits, ids);
    next.prob.slice(0, -1).forEach((p) => assertClose(p, 1 / tiny.vocabSize, 1e-12));
    assert.deepEqual(next.rank, [0, 0, 0, 0, -1]);

    const lens = referenceLens(tiny, weights, run.resid, { topK: 3, target: 7 });
    for (const cell of lens.flat()) {
      assert.deepEqual(cell.topIds, [0, 1, 2]); // ties keep the lower id first
      cell.topProbs.forEach((p) => assertClose(p, 1 / tiny.vocabSize, 1e-12));
      assertClose(cell.entropy, Math.log(tiny.vocabSize), 1e-12);
      assertClose(cell.kl, 0, 1e-12);
      assert.equal(cell.targetRank, 0);
      assertClose(cell.targetProb!, 1 / tiny.vocabSize, 1e-12);
    }
  });

  test('attention scores are q·k / √head_dim, per head, from the q | k | v halves of c_attn', () => {
    // one layer, two heads of width 2; ln_1 is the identity LayerNorm, k = ln_1(x), v = 0, q a constant per head
    const config: ReferenceConfig = { nLayer: 1, nHead: 2, nEmbd: 4, nCtx: 4, vocabSize: 7, layerNormEpsilon: 1e-5 };
    const D = 4;
    const random = randomWeights(config, 2);
    const cAttnW = new Float32Array(D * 3 * D); // [D, 3D]
    for (let i = 0; i < D; i++) cAttnW[i * 3 * D + D + i] = 1; // k = x
    const cAttnB = new Float32Array(3 * D);
    cAttnB.set([1.5, 0, 0, -2]); // head 0's q = [1.5, 0], head 1's q = [0, -2]
    const ones = new Float32Array(D).fill(1);
    const weights = sparseWeights(config, {
      'wte.weight': random('wte.weight'),
      'wpe.weight': random('wpe.weight'),
      'h.0.ln_1.weight': ones,
      'h.0.attn.c_attn.weight': cAttnW,
      'h.0.attn.c_attn.bias': cAttnB,
    });
    const ids = [3, 6, 1];
    const run = referenceForward(config, weights, ids);

    const k = run.resid[0].map((x) => layerNorm(x, ones, new Float32Array(D), config.layerNormEpsilon)); // [T, D]
    const scale = 1 / Math.sqrt(2);
    for (let q = 0; q < ids.length; q++) {
      const head0 = softmax(k.slice(0, q + 1).map((key) => 1.5 * key[0] * scale));
      const head1 = softmax(k.slice(0, q + 1).map((key) => -2 * key[3] * scale));
      head0.forEach((p, t) => assertClose(run.patterns[0][0][q][t], p, 1e-6));
      head1.forEach((p, t) => assertClose(run.patterns[0][1][q][t], p, 1e-6));
    }
    // the heads see different scores, so the test would notice them swapped
    assert.ok(Math.abs(run.patterns[0][0][2][0] - run.patterns[0][1][2][0]) > 1e-3);
  });

  test('the block adds the average of the causal prefix\'s values to the residual', () => {
    // q = k = 0 (uniform attention), v = ln_1(x), c_proj = identity, no MLP: resid_post[t] = x[t] + mean_{s≤t} ln_1(x[s])
    const config: ReferenceConfig = { nLayer: 1, nHead: 2, nEmbd: 4, nCtx: 4, vocabSize: 7, layerNormEpsilon: 1e-5 };
    const D = 4;
    const random = randomWeights(config, 3);
    const cAttnW = new Float32Array(D * 3 * D); // [D, 3D]
    const cProjW = new Float32Array(D * D); // [D, D]
    for (let i = 0; i < D; i++) {
      cAttnW[i * 3 * D + 2 * D + i] = 1;
      cProjW[i * D + i] = 1;
    }
    const ln1W = Float32Array.of(1, 2, 0.5, 1);
    const ln1B = Float32Array.of(0, 0.1, 0, -0.3);
    const weights = sparseWeights(config, {
      'wte.weight': random('wte.weight'),
      'wpe.weight': random('wpe.weight'),
      'h.0.ln_1.weight': ln1W,
      'h.0.ln_1.bias': ln1B,
      'h.0.attn.c_attn.weight': cAttnW,
      'h.0.attn.c_proj.weight': cProjW,
    });
    const run = referenceForward(config, weights, [2, 2, 5, 0]);
    const x = run.resid[0];
    const v = x.map((row) => layerNorm(row, ln1W, ln1B, config.layerNormEpsilon));
    run.resid[1].forEach((row, t) => {
      for (let d = 0; d < D; d++) {
        let mean = 0;
        for (let s = 0; s <= t; s++) mean += v[s][d] / (t + 1);
        assertClose(row[d], x[t][d] + mean, 1e-6, `resid_post[${t}][${d}]`);
      }
    });
  });

  test('the MLP is c_proj(gelu_new(c_fc(ln_2(x))))', () => {
    // attention off; c_fc copies ln_2(x) into the first D hidden units, c_proj sums unit i back into column i
    const config: ReferenceConfig = { nLayer: 1, nHead: 1, nEmbd: 4, nCtx: 4, vocabSize: 7, layerNormEpsilon: 1e-5 };
    const D = 4;
    const random = randomWeights(config, 4);
    const cFcW = new Float32Array(D * 4 * D); // [D, 4D]
    const cProjW = new Float32Array(4 * D * D); // [4D, D]
    for (let i = 0; i < D; i++) {
      cFcW[i * 4 * D + i] = 3; // scaled so gelu's curve matters
      cProjW[i * D + i] = 1;
    }
    const ones = new Float32Array(D).fill(1);
    const weights = sparseWeights(config, {
      'wte.weight': random('wte.weight'),
      'wpe.weight': random('wpe.weight'),
      'h.0.ln_2.weight': ones,
      'h.0.mlp.c_fc.weight': cFcW,
      'h.0.mlp.c_proj.weight': cProjW,
      'h.0.mlp.c_proj.bias': Float32Array.of(0, 0, 0, 0.25),
    });
    const run = referenceForward(config, weights, [1, 4]);
    run.resid[1].forEach((row, t) => {
      const x = run.resid[0][t];
      const ln = layerNorm(x, ones, new Float32Array(D), config.layerNormEpsilon);
      for (let d = 0; d < D; d++) assertClose(row[d], x[d] + geluNew(3 * ln[d]) + (d === 3 ? 0.25 : 0), 1e-6);
    });
  });

  test('patterns are causal rows that sum to 1, and earlier positions ignore later tokens', () => {
    const weights = randomWeights(tiny, 5);
    const ids = [3, 14, 15, 9, 26, 5, 35];
    const run = referenceForward(tiny, weights, ids);
    for (const head of run.patterns.flat()) {
      head.forEach((row, q) => {
        assertClose(row.reduce((a, b) => a + b, 0), 1, 1e-6);
        for (let k = q + 1; k < row.length; k++) assert.equal(row[k], 0);
      });
    }
    // non-degenerate: some row of the last layer is far from uniform
    assert.ok(run.patterns[1].some((head) => Math.abs(head[6][0] - 1 / 7) > 0.02));

    const prefix = referenceForward(tiny, weights, ids.slice(0, 4));
    prefix.logits.forEach((row, t) => assert.deepEqual(row, run.logits[t]));
  });

  test('rejects sequences the context cannot hold and ids outside the vocabulary', () => {
    const weights = randomWeights(tiny, 6);
    assert.throws(() => referenceForward(tiny, weights, []));
    assert.throws(() => referenceForward(tiny, weights, new Array(17).fill(0)));
    assert.throws(() => referenceForward(tiny, weights, [60]));
    assert.throws(() => referenceForward(tiny, (name) => randomWeights({ ...tiny, nEmbd: 4 }, 6)(name), [1]));
  });
});

describe('referenceLens and referenceNext', () => {
  const config: ReferenceConfig = { nLayer: 3, nHead: 4, nEmbd: 16, nCtx: 16, vocabSize: 257, layerNormEpsilon: 1e-5 };
  const weights = randomWeights(config, 7);
  const ids = [10, 200, 31, 31, 256, 0, 77, 128];
  const run = referenceForward(config, weights, ids);
  const target = 31;
  const lens = referenceLens(config, weights, run.resid, { topK: 5, target });

  test('has one row per residual point and position', () => {
    assert.equal(lens.length, config.nLayer + 1);
    for (const point of lens) assert.equal(point.length, ids.length);
  });

  test('the last point is the model output: its top-k is softmax(logits)\'s top-k, its KL is 0', () => {
    lens[config.nLayer].forEach((cell, t) => {
      const probs = softmax(run.logits[t]);
      const order = argsortDescending(probs).slice(0, 5);
      assert.deepEqual(cell.topIds, order);
      cell.topProbs.forEach((p, i) => assertClose(p, probs[order[i]], 1e-12));
      assert.equal(cell.kl, 0);
    });
  });

  test('every point is ln_f and the unembedding of its residual, with entropy in [0, log V] and KL ≥ 0', () => {
    const D = config.nEmbd;
    const wte = weights('wte.weight');
    lens.forEach((point, p) =>
      point.forEach((cell, t) => {
        // the lens computed here from scratch, in float64 throughout
        const h = layerNorm(run.resid[p][t], weights('ln_f.weight'), weights('ln_f.bias'), config.layerNormEpsilon);
        const logits = Array.from({ length: config.vocabSize }, (_, v) => h.reduce((acc, x, d) => acc + x * wte[v * D + d], 0));
        const probs = softmax(logits);
        const final = softmax(run.logits[t]);
        const entropy = -probs.reduce((acc, q) => acc + q * Math.log(q), 0);
        const kl = final.reduce((acc, f, v) => acc + f * (Math.log(f) - Math.log(probs[v])), 0);
        assertClose(cell.entropy, entropy, 1e-6, `entropy[${p}][${t}]`);
        assertClose(cell.kl, kl, 1e-6, `kl[${p}][${t}]`);
        assert.deepEqual(cell.topIds, argsortDescending(probs).slice(0, 5));
        assert.ok(cell.entropy >= 0 && cell.entropy <= Math.log(config.vocabSize) + 1e-12);
        assert.ok(cell.kl >= -1e-12);
        // rank counts entries strictly more probable than the target
        assert.equal(cell.targetRank, probs.filter((q) => q > probs[target]).length);
        assertClose(cell.targetProb!, probs[target], 1e-6);
      }),
    );
    // non-degenerate: earlier points disagree with the output
    assert.ok(lens[0].some((cell) => cell.kl > 0.01));
  });

  test('without a target, cells carry no target fields; topK is clamped to the vocabulary', () => {
    const plain = referenceLens(config, weights, run.resid.slice(-1), { topK: 1000 });
    assert.equal(plain[0][0].targetProb, undefined);
    assert.equal(plain[0][0].targetRank, undefined);
    assert.equal(plain[0][0].topIds.length, config.vocabSize);
    assertClose(plain[0][0].topProbs.reduce((a, b) => a + b, 0), 1, 1e-9);
  });

  test('referenceNext scores ids[t + 1] under logits[t]; the last position has none', () => {
    const next = referenceNext(run.logits, ids);
    assert.equal(next.prob.length, ids.length);
    for (let t = 0; t + 1 < ids.length; t++) {
      const probs = softmax(run.logits[t]);
      assertClose(next.prob[t], probs[ids[t + 1]], 1e-12);
      assert.equal(next.rank[t], probs.filter((q) => q > probs[ids[t + 1]]).length);
    }
    assert.ok(Number.isNaN(next.prob[ids.length - 1]));
    assert.equal(next.rank[ids.length - 1], -1);
  });

  test('rank is strict: tied tokens share the rank of the first of them', () => {
    // logits [2, 5, 5, 1]: both 5s have rank 0, the 2 has rank 2, the 1 has rank 3
    const logits = [Float32Array.of(2, 5, 5, 1), Float32Array.of(2, 5, 5, 1), Float32Array.of(2, 5, 5, 1), Float32Array.of(0, 0, 0, 0)];
    assert.deepEqual(referenceNext(logits, [9, 2, 0, 3, 1]).rank, [0, 2, 3, 0]);
  });
});

describe('random models', () => {
  test('the same seed gives the same weights, another seed others', () => {
    const a = randomWeights(tiny, 11);
    assert.deepEqual(a('h.1.mlp.c_fc.weight'), randomWeights(tiny, 11)('h.1.mlp.c_fc.weight'));
    assert.notDeepEqual(a('h.1.mlp.c_fc.weight'), randomWeights(tiny, 12)('h.1.mlp.c_fc.weight'));
    assert.throws(() => a('transformer.wte.weight'));
  });

  test('layer-norm weights sit around 1, matrices around 0 with std near 0.2', () => {
    const weights = randomWeights({ ...tiny, nEmbd: 64 }, 13);
    const ln = weights('h.0.ln_1.weight');
    assertClose(ln.reduce((a, b) => a + b, 0) / ln.length, 1, 0.05);
    const w = weights('h.0.attn.c_attn.weight');
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
    assertClose(mean, 0, 0.01);
    assertClose(std, 0.2, 0.01);
  });

  test('seededRandom is uniform in [0, 1)', () => {
    const random = seededRandom(42);
    const xs = Array.from({ length: 10000 }, random);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    assertClose(xs.reduce((a, b) => a + b, 0) / xs.length, 0.5, 0.02);
  });
});

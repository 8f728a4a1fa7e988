// What a head writes (engine/experiments/head-writes.ts), held to its definitions computed with plain loops over
// the weights and the reference forward's pattern and hook_z, on generated models.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Experiments, TokenValue } from '../../engine/experiments/experiments';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import { generatedModel, referenceModel, SHAPES, testCacheDir } from './generated-models';
import { referenceForward, type ReferenceHook } from './reference-gpt2';

const TOLERANCE = 1e-3;
const COUNTS = { sources: 5, top: 5 };

function assertNear(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= TOLERANCE * Math.max(1, Math.abs(expected)), `${what}: engine ${actual}, reference ${expected}`);
}

/** The engine's top tokens against the reference's logits: the same values in order, each id's own value. */
function assertTop(got: readonly TokenValue[], logits: Float64Array, lowest: boolean, what: string): void {
  const sorted = Array.from(logits).sort((a, b) => (lowest ? a - b : b - a));
  assert.equal(got.length, COUNTS.top);
  got.forEach((t, i) => {
    assertNear(t.value, sorted[i], `${what} #${i}`);
    assertNear(t.value, logits[t.id], `${what} id ${t.id}`);
  });
}

for (const [name, shape] of Object.entries({ small: SHAPES.small, deep: SHAPES.deep })) {
  describe(`what a head writes on the ${name} model (${shape.nLayer} layers, ${shape.nHead} heads, d=${shape.nEmbd})`, () => {
    const dir = generatedModel(shape);
    const { config, weights } = referenceModel(dir);
    const D = shape.nEmbd;
    const H = shape.nHead;
    const hd = D / H;
    const V = config.vocabSize;
    const wte = weights('wte.weight'); // [V, D]
    let engine: Gpt2Engine;
    let experiments: Experiments;
    before(async () => {
      engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
      experiments = await engine.experiments();
    });
    after(() => engine.dispose());

    const ids = [464, 2068, 7586, 21831, 18045, 625, 262, 16931];
    const P = 6;
    const layer = shape.nLayer - 1;
    const head = 1;

    /** W_E[t] · W_V^h · W_O^h · W_U, one matrix at a time: [V]. */
    function ovRow(t: number): Float64Array {
      const cAttn = weights(`h.${layer}.attn.c_attn.weight`); // [D, 3D]: q | k | v, head after head
      const cProj = weights(`h.${layer}.attn.c_proj.weight`); // [D, D]
      const v = new Float64Array(hd);
      for (let j = 0; j < hd; j++) for (let i = 0; i < D; i++) v[j] += wte[t * D + i] * cAttn[i * 3 * D + 2 * D + head * hd + j];
      const o = new Float64Array(D);
      for (let k = 0; k < D; k++) for (let j = 0; j < hd; j++) o[k] += v[j] * cProj[(head * hd + j) * D + k];
      const logits = new Float64Array(V);
      for (let u = 0; u < V; u++) for (let k = 0; k < D; k++) logits[u] += o[k] * wte[u * D + k];
      return logits;
    }

    test('sources: the five positions the head attends to most from P, with their weights and tokens', async () => {
      const writes = await experiments.headWrites(ids, P, layer, head, COUNTS);
      const row = referenceForward(config, weights, ids).patterns[layer][head][P];
      const expected = Array.from(row.subarray(0, P + 1), (attention, position) => ({ position, attention })).sort((a, b) => b.attention - a.attention).slice(0, 5);
      assert.deepEqual(writes.sources.map((s) => s.position), expected.map((e) => e.position));
      writes.sources.forEach((s, i) => {
        assertNear(s.attention, expected[i].attention, `attention to ${s.position}`);
        assert.equal(s.id, ids[s.position]);
      });
    });

    test('each source\'s OV row: W_E[t] · W_V^h · W_O^h · W_U, no layer norms, no biases', async () => {
      const writes = await experiments.headWrites(ids, P, layer, head, COUNTS);
      for (const source of writes.sources) assertTop(source.top, ovRow(source.id), false, `OV of ${source.id}`);
    });

    test('direct effect at P: hook_result read through ln_final\'s scale and gain into every logit, as the Why tab', async () => {
      const writes = await experiments.headWrites(ids, P, layer, head, COUNTS);
      let z: Float32Array | undefined;
      const hook: ReferenceHook = (hookName, activation) => {
        if (hookName === `blocks.${layer}.attn.hook_z`) z = activation[P];
        return activation;
      };
      const run = referenceForward(config, weights, ids, hook);
      const wo = weights(`h.${layer}.attn.c_proj.weight`);
      const c = new Float64Array(D); // z_h · W_O^h
      for (let i = 0; i < hd; i++) for (let j = 0; j < D; j++) c[j] += z![head * hd + i] * wo[(head * hd + i) * D + j];
      const x = run.resid[shape.nLayer][P];
      const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
      const s = Math.sqrt(Array.from(x).reduce((a, v) => a + (v - mean(x)) ** 2, 0) / D + config.layerNormEpsilon);
      const w = weights('ln_f.weight');
      const m = mean(c);
      const logits = new Float64Array(V);
      for (let t = 0; t < V; t++) for (let i = 0; i < D; i++) logits[t] += ((c[i] - m) / s) * w[i] * wte[t * D + i];
      assertTop(writes.promoted, logits, false, 'promoted');
      assertTop(writes.suppressed, logits, true, 'suppressed');

      // The same number the attribution gives this head for the top promoted token.
      const { attribution } = await experiments.attribute(ids, P, { targetId: writes.promoted[0].id, versusId: null });
      const mine = attribution.components.find((a) => a.hook === `blocks.${layer}.attn.hook_result` && a.head === head);
      assertNear(writes.promoted[0].value, mine!.value, 'the attribution of the top token');
    });

    test('in the model with the head itself ablated, it writes nothing directly but attends as before', async () => {
      const plain = await experiments.headWrites(ids, P, layer, head, COUNTS);
      const ablated = await experiments.headWrites(ids, P, layer, head, COUNTS, { ablations: [{ hook: 'attn.hook_z', layer, unit: head }], mode: 'zero' });
      assert.deepEqual(ablated.sources.map((s) => s.position), plain.sources.map((s) => s.position));
      for (const t of [...ablated.promoted, ...ablated.suppressed]) assert.equal(t.value, 0);
    });

    test('a head or layer the model does not have, or a position past the text, is refused', async () => {
      await assert.rejects(experiments.headWrites(ids, P, layer, H, COUNTS), /Head 4|Head 2/);
      await assert.rejects(experiments.headWrites(ids, P, shape.nLayer, 0, COUNTS), /Layer/);
      await assert.rejects(experiments.headWrites(ids, ids.length, layer, 0, COUNTS), /Position/);
    });
  });
}

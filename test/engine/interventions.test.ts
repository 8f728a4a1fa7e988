// Attribution, ablation and activation patching, held to their definitions computed on the plain-loop
// reference GPT-2 (reference-gpt2.ts, with TransformerLens-style hooks), on generated models.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Experiments } from '../../engine/experiments/experiments';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import type { Ablation, PatchHook } from '../../protocol/interventions';
import { generatedModel, referenceModel, SHAPES, testCacheDir } from './generated-models';
import { referenceForward, referenceNext, type ReferenceHook } from './reference-gpt2';

const TOLERANCE = 1e-3;

function assertNear(actual: number, expected: number, what: string, tolerance = TOLERANCE): void {
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: engine ${actual}, reference ${expected}`);
}

/** A hook that records every activation it sees, by name. */
function recorder(): { hook: ReferenceHook; seen: Map<string, Float32Array[]> } {
  const seen = new Map<string, Float32Array[]>();
  return { seen, hook: (name, activation) => (seen.set(name, activation), activation) };
}

for (const [name, shape] of Object.entries({ small: SHAPES.small, deep: SHAPES.deep })) {
  describe(`experiments on the ${name} model (${shape.nLayer} layers, ${shape.nHead} heads, d=${shape.nEmbd})`, () => {
    const dir = generatedModel(shape);
    const { config, weights } = referenceModel(dir);
    const D = shape.nEmbd;
    const H = shape.nHead;
    const hd = D / H;
    let engine: Gpt2Engine;
    let experiments: Experiments;
    before(async () => {
      engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: testCacheDir(), device: 'cpu' });
      experiments = await engine.experiments();
    });
    after(() => engine.dispose());

    const ids = [464, 2068, 7586, 21831, 18045, 625, 262, 16931];

    for (const [P, versusId] of [[ids.length - 1, 3290], [3, null]] as const) {
      test(`attribution at position ${P}${versusId === null ? '' : ' versus a competitor'}: every component as defined, summing to the logit difference`, async () => {
        const targetId = 262;
        const { attribution, logitDiff } = await experiments.attribute(ids, P, { targetId, versusId });
        const { hook, seen } = recorder();
        const run = referenceForward(config, weights, ids, hook);
        const L = shape.nLayer;
        const x = run.resid[L][P];
        const mean = (v: ArrayLike<number>) => Array.from(v).reduce((a, b) => a + b, 0) / v.length;
        const s = Math.sqrt(Array.from(x).reduce((a, v) => a + (v - mean(x)) ** 2, 0) / D + config.layerNormEpsilon);
        const w = weights('ln_f.weight');
        const wte = weights('wte.weight');
        const u = Array.from({ length: D }, (_, i) => wte[targetId * D + i] - (versusId === null ? 0 : wte[versusId * D + i]));
        const value = (c: ArrayLike<number>) => {
          const m = mean(c);
          let sum = 0;
          for (let i = 0; i < D; i++) sum += ((c[i] - m) / s) * w[i] * u[i];
          return sum;
        };
        const expected: { hook: string; head?: number; value: number }[] = [
          { hook: 'hook_embed', value: value(wte.subarray(ids[P] * D, ids[P] * D + D)) },
          { hook: 'hook_pos_embed', value: value(weights('wpe.weight').subarray(P * D, P * D + D)) },
        ];
        for (let l = 0; l < L; l++) {
          const z = seen.get(`blocks.${l}.attn.hook_z`)![P];
          const wo = weights(`h.${l}.attn.c_proj.weight`); // [D, D], rows h·hd … belong to head h
          for (let h = 0; h < H; h++) {
            const result = new Float64Array(D);
            for (let i = 0; i < hd; i++) for (let j = 0; j < D; j++) result[j] += z[h * hd + i] * wo[(h * hd + i) * D + j];
            expected.push({ hook: `blocks.${l}.attn.hook_result`, head: h, value: value(result) });
          }
          expected.push({ hook: `blocks.${l}.attn.b_O`, value: value(weights(`h.${l}.attn.c_proj.bias`)) });
          expected.push({ hook: `blocks.${l}.hook_mlp_out`, value: value(seen.get(`blocks.${l}.hook_mlp_out`)![P]) });
        }
        expected.push({ hook: 'ln_final.b', value: Array.from(weights('ln_f.bias')).reduce((a, b, i) => a + b * u[i], 0) });

        assert.deepEqual(attribution.components.map((c) => [c.hook, c.head]), expected.map((c) => [c.hook, c.head]));
        attribution.components.forEach((c, i) => assertNear(c.value, expected[i].value, `${c.hook}${c.head === undefined ? '' : `:${c.head}`}`));
        const logits = run.logits[P];
        const diff = logits[targetId] - (versusId === null ? 0 : logits[versusId]);
        assertNear(logitDiff, diff, 'logit difference');
        assertNear(attribution.total, diff, 'the components sum to the logit difference');

        // Neurons: post × its W_out row, the same way; the top ones by |value|.
        for (const layer of attribution.neurons) {
          const post = seen.get(`blocks.${layer.layer}.mlp.hook_post`)![P];
          const wout = weights(`h.${layer.layer}.mlp.c_proj.weight`);
          const neuronValue = (n: number) => value(Float32Array.from({ length: D }, (_, j) => post[n] * wout[n * D + j]));
          const all = Array.from({ length: 4 * D }, (_, n) => neuronValue(n)).sort((a, b) => Math.abs(b) - Math.abs(a));
          layer.top.forEach((t, i) => {
            assertNear(t.value, neuronValue(t.neuron), `L${layer.layer} neuron ${t.neuron}`);
            assertNear(Math.abs(t.value), Math.abs(all[i]), `L${layer.layer} top ${i}`);
            assertNear(t.activation, post[t.neuron], `L${layer.layer} neuron ${t.neuron} activation`);
          });
          assertNear(layer.bias, value(weights(`h.${layer.layer}.mlp.c_proj.bias`)), `L${layer.layer} b_out`);
        }
      });
    }

    /** The reference hook that ablates these units (zero, or the activation's mean over positions). */
    function ablating(ablations: readonly Ablation[], mode: 'zero' | 'mean'): ReferenceHook {
      return (hookName, activation) => {
        const here = ablations.filter((a) => hookName === `blocks.${a.layer}.${a.hook}`);
        if (here.length === 0) return activation;
        const T = activation.length;
        const width = activation[0].length;
        const columns = (a: Ablation): number[] =>
          a.hook === 'attn.hook_z' ? Array.from({ length: hd }, (_, i) => a.unit! * hd + i) : a.hook === 'mlp.hook_post' ? [a.unit!] : Array.from({ length: width }, (_, i) => i);
        const out = activation.map((row) => Float32Array.from(row));
        for (const a of here) {
          for (const c of columns(a)) {
            const replacement = mode === 'mean' ? activation.reduce((sum, row) => sum + row[c], 0) / T : 0;
            for (let t = 0; t < T; t++) out[t][c] = replacement;
          }
        }
        return out;
      };
    }

    const text = 'The quick brown fox jumps over the lazy dog';
    const ablationCases: { what: string; ablations: Ablation[] }[] = [
      { what: 'one head', ablations: [{ hook: 'attn.hook_z', layer: 0, unit: 1 }] },
      { what: 'an attention output', ablations: [{ hook: 'hook_attn_out', layer: shape.nLayer - 1, unit: null }] },
      { what: 'an MLP output', ablations: [{ hook: 'hook_mlp_out', layer: 0, unit: null }] },
      { what: 'two neurons', ablations: [{ hook: 'mlp.hook_post', layer: 1, unit: 7 }, { hook: 'mlp.hook_post', layer: 1, unit: 3 * D }] },
      {
        what: 'several combined',
        ablations: [{ hook: 'attn.hook_z', layer: 1, unit: 0 }, { hook: 'hook_mlp_out', layer: shape.nLayer - 1, unit: null }, { hook: 'mlp.hook_post', layer: 0, unit: 2 }],
      },
    ];
    for (const mode of ['zero', 'mean'] as const) {
      for (const { what, ablations } of ablationCases) {
        test(`${mode} ablation of ${what}: the inspection is the reference's with those units replaced`, async () => {
          const inspection = await engine.inspect(text, { topK: 3, targetId: null, ablation: { ablations, mode } });
          const tokenIds = inspection.tokens.map((t) => t.id);
          const run = referenceForward(config, weights, tokenIds, ablating(ablations, mode));
          // Compared as log-probabilities: a random model's probabilities are all near 1/50257.
          const expected = referenceNext(run.logits, tokenIds).prob.map(Math.log);
          inspection.next.prob.data.slice(0, -1).forEach((p, t) => assertNear(Math.log(p), expected[t], `next-token log-probability at ${t}`));
          const plain = referenceNext(referenceForward(config, weights, tokenIds).logits, tokenIds).prob.map(Math.log);
          assert.ok(plain.some((p, t) => t < tokenIds.length - 1 && Math.abs(p - expected[t]) > 0.01), 'the ablation changes something');
        });
      }
    }

    // What the panel asks of an ablated view besides its inspection: the attribution and the attention
    // patterns must be of the same ablated model.
    const headAndMlp: Ablation[] = [{ hook: 'attn.hook_z', layer: 0, unit: 1 }, { hook: 'hook_mlp_out', layer: 0, unit: null }];
    test('attribution in an ablated model decomposes that model’s logit difference, the ablated head contributing nothing', async () => {
      const P = ids.length - 1;
      const metric = { targetId: 262, versusId: 3290 };
      const { attribution, logitDiff } = await experiments.attribute(ids, P, metric, { ablations: headAndMlp, mode: 'zero' });
      const run = referenceForward(config, weights, ids, ablating(headAndMlp, 'zero'));
      assertNear(logitDiff, run.logits[P][metric.targetId] - run.logits[P][metric.versusId], 'the ablated model’s logit difference');
      assertNear(attribution.components.reduce((s, c) => s + c.value, 0), logitDiff, 'the components sum to it');
      const head = attribution.components.find((c) => c.hook === 'blocks.0.attn.hook_result' && c.head === 1);
      assert.equal(head?.value, 0, 'a head ablated to zero writes nothing');
      const mlp = attribution.components.find((c) => c.hook === 'blocks.0.hook_mlp_out');
      assert.equal(mlp?.value, 0, 'nor does an MLP');
      const plain = await experiments.attribute(ids, P, metric);
      assert.ok(Math.abs(plain.logitDiff - logitDiff) > 1e-4, 'the ablation changes the logit difference');
    });

    test('an ablated model’s attention patterns: later layers attend as the reference with those units replaced does', async () => {
      const setting = { ablations: headAndMlp, mode: 'mean' as const };
      const run = referenceForward(config, weights, ids, ablating(headAndMlp, 'mean'));
      const plainRun = referenceForward(config, weights, ids);
      const last = shape.nLayer - 1;
      const pattern = await engine.attentionPattern(ids, last, setting);
      const n = ids.length;
      let moved = 0;
      for (let h = 0; h < H; h++) {
        for (let q = 0; q < n; q++) {
          for (let k = 0; k <= q; k++) {
            const got = pattern.data[h * ((n * (n + 1)) / 2) + (q * (q + 1)) / 2 + k];
            assertNear(got, run.patterns[last][h][q][k], `blocks.${last}.attn.hook_pattern[${h}][${q}][${k}]`);
            moved = Math.max(moved, Math.abs(got - plainRun.patterns[last][h][q][k]));
          }
        }
      }
      assert.ok(moved > 1e-4, 'the ablation moved the pattern');
      // Asked again, the kept queries and keys of the ablated run serve; the plain pattern is still the plain one.
      assert.deepEqual(Array.from((await engine.attentionPattern(ids, last, setting)).data), Array.from(pattern.data));
      const plain = await engine.attentionPattern(ids, last);
      assertNear(plain.data[(n * (n + 1)) / 2 - 1], plainRun.patterns[last][0][n - 1][n - 1], 'the plain pattern after an ablated one');
    });

    test('an empty ablation is the plain inspection', async () => {
      const plain = await engine.inspect(text, { topK: 3, targetId: null });
      const none = await engine.inspect(text, { topK: 3, targetId: null, ablation: { ablations: [], mode: 'zero' } });
      assert.deepEqual(Array.from(none.next.prob.data), Array.from(plain.next.prob.data));
    });

    const clean = [464, 3139, 286, 4881, 318];
    const corrupt = [464, 3139, 286, 8031, 318];
    const metric = { targetId: 6342, versusId: 10598 };
    for (const hook of ['hook_resid_pre', 'hook_attn_out', 'hook_mlp_out', 'attn.hook_z'] as PatchHook[]) {
      test(`patching ${hook}: each entry is the corrupt run with that one activation taken from the clean run`, async () => {
        const patched = await experiments.patch(clean, corrupt, hook, metric);
        const cleanSeen = recorder();
        const cleanRun = referenceForward(config, weights, clean, cleanSeen.hook);
        const last = clean.length - 1;
        const metricOf = (logits: Float32Array) => logits[metric.targetId] - logits[metric.versusId];
        assertNear(patched.clean, metricOf(cleanRun.logits[last]), 'clean metric');
        assertNear(patched.corrupt, metricOf(referenceForward(config, weights, corrupt).logits[last]), 'corrupt metric');
        const byHead = hook === 'attn.hook_z';
        assert.equal(patched.results.length, shape.nLayer);
        for (let l = 0; l < shape.nLayer; l++) {
          assert.equal(patched.results[l].length, byHead ? H : clean.length);
          for (let unit = 0; unit < patched.results[l].length; unit++) {
            const name = `blocks.${l}.${hook}`;
            const source = cleanSeen.seen.get(name)!;
            const run = referenceForward(config, weights, corrupt, (hookName, activation) => {
              if (hookName !== name) return activation;
              const out = activation.map((row) => Float32Array.from(row));
              if (byHead) for (let t = 0; t < out.length; t++) for (let i = 0; i < hd; i++) out[t][unit * hd + i] = source[t][unit * hd + i];
              else out[unit] = Float32Array.from(source[unit]);
              return out;
            });
            assertNear(patched.results[l][unit], metricOf(run.logits[last]), `${name} ${byHead ? 'head' : 'position'} ${unit}`);
          }
        }
      });
    }

    // A patch at position p and layer l runs only positions p … n − 1 from layer l on: the corrupt run's keys and
    // values before p, its residual entering l. The texts differ before and after the middle, so keys or residuals
    // from the wrong run, position or layer move the metric.
    for (const hook of ['hook_resid_pre', 'hook_mlp_out'] as PatchHook[]) {
      test(`patching ${hook} from its position and layer on: the first, a middle and the last position in every layer, as the reference`, async () => {
        const cleanLong = [464, 2068, 7586, 21831, 18045, 625, 262];
        const corruptLong = [464, 3139, 7586, 21831, 8031, 625, 262];
        const last = cleanLong.length - 1;
        const metricOf = (logits: Float32Array) => logits[metric.targetId] - logits[metric.versusId];
        const cleanSeen = recorder();
        referenceForward(config, weights, cleanLong, cleanSeen.hook);
        // At most 2 runs of the whole text a batch: on the deep model some batches have no patch at layer 0.
        const patched = await experiments.patch(cleanLong, corruptLong, hook, metric, { batchTokens: 2 * cleanLong.length });
        const whole = await experiments.patch(cleanLong, corruptLong, hook, metric, { reusePrefix: false });
        for (let l = 0; l < shape.nLayer; l++) {
          const name = `blocks.${l}.${hook}`;
          for (const p of [0, 3, last]) {
            const run = referenceForward(config, weights, corruptLong, (hookName, activation) => {
              if (hookName !== name) return activation;
              const out = activation.map((row) => Float32Array.from(row));
              out[p] = Float32Array.from(cleanSeen.seen.get(name)![p]);
              return out;
            });
            assertNear(patched.results[l][p], metricOf(run.logits[last]), `${name} position ${p}`);
          }
          for (let p = 0; p <= last; p++) assertNear(patched.results[l][p], whole.results[l][p], `${name} position ${p}, from it on ÷ whole`, 1e-5);
        }
      });
    }

    test('patching attn.hook_z from each layer on, in batches that start past layer 0, is the whole patched forward', async () => {
      // 2 runs a batch: on the deep model most batches have no patch at layer 0.
      const joined = await experiments.patch(clean, corrupt, 'attn.hook_z', metric, { batchTokens: 2 * clean.length });
      const whole = await experiments.patch(clean, corrupt, 'attn.hook_z', metric, { reusePrefix: false });
      joined.results.forEach((row, l) => row.forEach((v, h) => assertNear(v, whole.results[l][h], `layer ${l} head ${h}`, 1e-5)));
    });

    test('patching identical texts changes nothing; at layer 0, patching the position that differs restores the clean metric', async () => {
      const same = await experiments.patch(clean, clean, 'hook_resid_pre', metric);
      for (const row of same.results) for (const v of row) assertNear(v, same.clean, 'identical texts');
      const patched = await experiments.patch(clean, corrupt, 'hook_resid_pre', metric);
      // Only position 3 differs; at layer 0 the residual there is all the difference there is.
      assertNear(patched.results[0][3], patched.clean, 'layer 0, the differing position');
    });

    test('texts of different token counts are refused, giving both counts', async () => {
      await assert.rejects(experiments.patch(clean, [...corrupt, 13], 'hook_resid_pre', metric), /The clean text is 5 tokens and the corrupt text 6/);
    });
  });
}


// Class 7 — config fields silently ignored. Each field of config.json that changes what GPT-2 computes is
// either implemented (and held to the plain reference, which follows Hugging Face's GPT2Attention) or refused
// with a message naming it. Nothing runs as if a field were not there.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Gpt2Engine } from '../../engine/run/gpt2-engine';
import { makeModel } from '../../engine/models/make-model';
import { writeSafetensors, readSafetensorsIndex, readFloat32Tensor } from '../../engine/models/safetensors';
import { referenceForward, type ReferenceConfig } from '../engine/reference-gpt2';
import { referenceModel } from '../engine/generated-models';
import { glassbox, inspectArgs, modelCopy, oneLine, SHAPE, workFolder, editJson } from './fault-kit';

const editConfig = (dir: string, edit: (json: Record<string, unknown>) => void): void => editJson(dir, 'config.json', edit);
const work = workFolder('config-fields');
const TOLERANCE = 1e-4;

/** The reference's config read straight from config.json, as Hugging Face reads it: no engine code between. */
function referenceConfigOf(dir: string): ReferenceConfig {
  const raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number | boolean>;
  return {
    nLayer: raw.n_layer as number,
    nHead: raw.n_head as number,
    nEmbd: raw.n_embd as number,
    nCtx: raw.n_positions as number,
    vocabSize: raw.vocab_size as number,
    layerNormEpsilon: raw.layer_norm_epsilon as number,
    scaleAttnWeights: raw.scale_attn_weights as boolean,
    scaleAttnByInverseLayerIdx: raw.scale_attn_by_inverse_layer_idx as boolean,
  };
}

const IMPLEMENTED = [
  { field: 'scale_attn_weights: false', options: { scaleAttnWeights: false } },
  { field: 'scale_attn_by_inverse_layer_idx: true', options: { scaleAttnByInverseLayerIdx: true } },
  { field: 'both', options: { scaleAttnWeights: false, scaleAttnByInverseLayerIdx: true } },
] as const;

for (const { field, options } of IMPLEMENTED) {
  describe(`${field}: implemented, and equal to the reference`, () => {
    const dir = join(work, field.replace(/\W+/g, '-'));
    let engine: Gpt2Engine;
    before(async () => {
      makeModel(dir, { ...SHAPE, seed: 11, ...options });
      engine = await Gpt2Engine.load({ modelDir: dir, cacheDir: join(work, 'cache'), device: 'cpu' });
    });
    after(() => engine.dispose());

    test('logits and every attention pattern', async () => {
      const tokens = engine.tokenize('Attention is scaled, or it is not, as config.json says.');
      const ids = tokens.map((t) => t.id);
      const run = referenceForward(referenceConfigOf(dir), referenceModel(dir).weights, ids);
      const logits = await engine.logits(tokens);
      const v = 50257;
      run.logits.forEach((row, t) => row.forEach((x, i) => assert.ok(Math.abs(logits.data[t * v + i] - x) <= TOLERANCE, `logits[${t}][${i}]`)));
      const inspection = await engine.inspect('Attention is scaled, or it is not, as config.json says.', { topK: 3, targetId: null, patternLayers: 'all' });
      const n = ids.length;
      inspection.attention.patterns.forEach((layer, l) => {
        assert.ok(layer);
        for (let h = 0; h < SHAPE.nHead; h++) {
          for (let q = 0; q < n; q++) {
            const offset = h * ((n * (n + 1)) / 2) + (q * (q + 1)) / 2;
            for (let k = 0; k <= q; k++) assert.ok(Math.abs(layer.data[offset + k] - run.patterns[l][h][q][k]) <= TOLERANCE, `pattern ${l}.${h}[${q}][${k}]`);
          }
        }
      });
    });
  });
}

test('reorder_and_upcast_attn: true gives the numbers of false (Glassbox computes attention in float32 throughout)', async () => {
  const plain = modelCopy(join(work, 'upcast-false'));
  const upcast = modelCopy(join(work, 'upcast-true'), (d) => editConfig(d, (c) => void (c.reorder_and_upcast_attn = true)));
  const [a, b] = await Promise.all([glassbox(inspectArgs(plain, join(work, 'cache-u1'))), glassbox(inspectArgs(upcast, join(work, 'cache-u2')))]);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual({ ...JSON.parse(a.stdout), model: null }, { ...JSON.parse(b.stdout), model: null });
});


/** The model's tensors plus an `lm_head.weight`: wte's values, or wte's with one entry changed. */
function withLmHead(dir: string, changed: boolean): void {
  const path = join(dir, 'model.safetensors');
  const index = readSafetensorsIndex(path);
  const tensors = [...index.tensors.keys()].map((name) => ({ name, shape: index.tensors.get(name)!.shape, data: readFloat32Tensor(index, name) }));
  const head = Float32Array.from(readFloat32Tensor(index, 'wte.weight'));
  if (changed) head[1000] += 0.5;
  writeSafetensors(path, [...tensors, { name: 'lm_head.weight', shape: index.tensors.get('wte.weight')!.shape, data: head }], index.metadata as Record<string, string>);
}

describe('fields refused, by name', { concurrency: true }, () => {
  const cases: [string, (dir: string) => void, RegExp][] = [
    ['an lm_head.weight that differs from wte.weight', (d) => withLmHead(d, true), /"lm_head\.weight" differs from "wte\.weight"/],
    ['tie_word_embeddings: false', (d) => editConfig(d, (c) => void (c.tie_word_embeddings = false)), /"tie_word_embeddings" is false/],
    ['add_cross_attention: true', (d) => editConfig(d, (c) => void (c.add_cross_attention = true)), /"add_cross_attention" is true/],
    ['activation_function "relu"', (d) => editConfig(d, (c) => void (c.activation_function = 'relu')), /"activation_function" is "relu"/],
    ['n_inner 100', (d) => editConfig(d, (c) => void (c.n_inner = 100)), /"n_inner" is 100/],
    ['scale_attn_weights "yes"', (d) => editConfig(d, (c) => void (c.scale_attn_weights = 'yes')), /"scale_attn_weights" is "yes"; it must be true or false/],
  ];
  let i = 0;
  for (const [what, edit, says] of cases) {
    const name = `refused-${i++}`;
    test(what, async () => {
      const run = await glassbox(inspectArgs(modelCopy(join(work, name), edit), join(work, 'cache-refused')));
      assert.equal(run.code, 1);
      assert.match(oneLine(run), says);
    });
  }

  test('an lm_head.weight equal to wte.weight is the tied head it claims to be: accepted', async () => {
    const run = await glassbox(inspectArgs(modelCopy(join(work, 'tied-head'), (d) => withLmHead(d, false)), join(work, 'cache-tied')));
    assert.equal(run.code, 0, run.stderr);
  });
});

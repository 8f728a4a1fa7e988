// An inspection's memory is estimated before it runs: attention grows with the square of the length, so a
// long selection on a large model is refused with a message saying what it needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlassboxError } from '../../protocol/errors';
import { checkInspectionMemory, inspectionBytes } from '../../engine/run/memory-budget';

const gpt2xl = { name: 'gpt2-xl', nLayer: 48, nHead: 25, nEmbd: 1600, vocabSize: 50257 };
const GiB = 2 ** 30;
const full = (n: number, fullLayers = 1) => ({ queries: n, keys: n, fullLayers, layersPerPatternRun: 1 });

test('attention grows with the square of the text, the rest with its length', () => {
  const fixed = inspectionBytes(gpt2xl, full(0)); // lens chunk and margin
  const at1024 = inspectionBytes(gpt2xl, full(1024)) - fixed;
  // One layer's 25 heads × 1,024² fp32: three in the model run, four in the pattern graph, one returned;
  // and ten fp32 [48 layers, 1,024 positions, 1,600].
  assert.ok(Math.abs(at1024 - ((3 + 4 + 1) * 25 * 1024 * 1024 * 4 + 10 * 48 * 1024 * 1600 * 4)) < 1);
  const at512 = inspectionBytes(gpt2xl, full(512)) - fixed;
  assert.ok(at1024 > 2 * at512 && at1024 < 4 * at512);
});

test('a short text\'s layers, rebuilt in one run, each add their pattern graph temporaries', () => {
  const short = (layersPerPatternRun: number) => inspectionBytes(gpt2xl, { queries: 100, keys: 100, fullLayers: 48, layersPerPatternRun });
  assert.ok(Math.abs(short(48) - short(1) - 4 * 47 * 25 * 100 * 100 * 4) < 1);
});

test('each layer returned in full adds its patterns; the others cost nothing beyond their thumbnails', () => {
  assert.ok(Math.abs(inspectionBytes(gpt2xl, full(1024, 48)) - inspectionBytes(gpt2xl, full(1024, 1)) - 47 * 25 * 1024 * 1024 * 4) < 1);
});

test('continuing a cached prefix needs less than running every position', () => {
  assert.ok(inspectionBytes(gpt2xl, { queries: 10, keys: 1024, fullLayers: 1, layersPerPatternRun: 1 }) < inspectionBytes(gpt2xl, full(1024)));
});

test('too little memory is refused with what it needs and what is free; enough passes', () => {
  assert.throws(
    () => checkInspectionMemory(gpt2xl, full(1024, 48), 4.5 * GiB),
    (error: unknown) =>
      error instanceof GlassboxError && error.code === 'text-too-long' && /^Inspecting 1024 tokens of gpt2-xl needs about 8\.\d GB of memory and about 4\.5 GB is free .*Select fewer tokens\.$/.test(error.message),
  );
  assert.doesNotThrow(() => checkInspectionMemory(gpt2xl, full(1024, 1), 4.5 * GiB));
});

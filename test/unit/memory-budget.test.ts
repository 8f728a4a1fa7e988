// An inspection's memory is estimated before it runs: the attention patterns grow with the square of the
// length, so a long selection on a large model is refused with a message saying what it needs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GlassboxError } from '../../protocol/errors';
import { checkInspectionMemory, inspectionBytes } from '../../engine/memory-budget';

const gpt2xl = { name: 'gpt2-xl', nLayer: 48, nHead: 25, vocabSize: 50257 };
const GiB = 2 ** 30;

test('the patterns term grows with queries × keys: twice the text, four times the patterns', () => {
  const fixed = inspectionBytes(gpt2xl, 0, 0); // lens chunk and margin
  const at512 = inspectionBytes(gpt2xl, 512, 512) - fixed;
  const at1024 = inspectionBytes(gpt2xl, 1024, 1024) - fixed;
  assert.equal(at1024, 4 * at512);
  // 48 layers × 25 heads × 1,024² fp32, twice, plus three of one layer's heads: 10.3 GB.
  assert.equal(at1024, (2 * 48 * 25 + 3 * 25) * 1024 * 1024 * 4);
});

test('continuing a cached prefix needs less than running every position', () => {
  assert.ok(inspectionBytes(gpt2xl, 10, 1024) < inspectionBytes(gpt2xl, 1024, 1024) / 10);
});

test('too little memory is refused with what it needs and what is free; enough passes', () => {
  assert.throws(
    () => checkInspectionMemory(gpt2xl, 1024, 1024, 8 * GiB),
    (error: unknown) =>
      error instanceof GlassboxError && error.code === 'text-too-long' && /^Inspecting 1024 tokens of gpt2-xl needs about 10\.\d GB of memory and about 8\.0 GB is free .*Select fewer tokens\.$/.test(error.message),
  );
  assert.doesNotThrow(() => checkInspectionMemory(gpt2xl, 512, 512, 8 * GiB));
});

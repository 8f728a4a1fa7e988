// Which tokens a sampler may draw from after top-k and top-p, on hand-computed distributions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nucleus } from '../../engine/nucleus-filter';

// Probabilities 0.5, 0.25, 0.125, 0.125 (logits are their logs, shuffled).
const logits = [Math.log(0.125), Math.log(0.5), Math.log(0.125), Math.log(0.25)];

test('no limits keep everything, most likely first', () => {
  assert.deepEqual(nucleus(logits, 0, 1), [1, 3, 0, 2]);
});

test('top-k keeps the k most likely; ties keep the lower id', () => {
  assert.deepEqual(nucleus(logits, 2, 1), [1, 3]);
  assert.deepEqual(nucleus(logits, 3, 1), [1, 3, 0]);
});

test('top-p keeps the smallest prefix whose mass reaches p', () => {
  assert.deepEqual(nucleus(logits, 0, 0.5), [1]); // 0.5 ≥ 0.5
  assert.deepEqual(nucleus(logits, 0, 0.6), [1, 3]); // 0.75
  assert.deepEqual(nucleus(logits, 0, 0.8), [1, 3, 0]); // 0.875
});

test('top-p applies to the top-k distribution renormalised, as in Hugging Face', () => {
  // Top-2 renormalised: 2/3, 1/3. p = 0.6 needs only the first.
  assert.deepEqual(nucleus(logits, 2, 0.6), [1]);
});

test('at least one token always survives', () => {
  assert.deepEqual(nucleus(logits, 0, 0), [1]);
});

// Choosing the next token: greedy, the top-k / top-p survivors, and sampled draws, on hand-computed distributions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, nucleus, softmaxAt, TokenSampler } from '../../engine/run/token-sampler';

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

test('greedy picks the most likely token, the lowest id among equals', () => {
  assert.equal(argmax([0.1, 3, -2, 3]), 1);
  assert.equal(new TokenSampler({ temperature: 0, topK: 0, topP: 1 }).choose(logits), 1);
});

test('the model probability of a token is the softmax of the raw logits', () => {
  assert.ok(Math.abs(softmaxAt(logits, 3) - 0.25) < 1e-12);
  assert.ok(Math.abs(softmaxAt([1000, 1000], 0) - 0.5) < 1e-12, 'large logits do not overflow');
});

test('sampling draws tokens as often as their tempered probabilities say', () => {
  // Temperature 1: draws follow 0.5 / 0.25 / 0.125 / 0.125 within sampling error (n = 20,000: σ ≤ 0.0036).
  const sampler = new TokenSampler({ temperature: 1, topK: 0, topP: 1 }, 5);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 20_000; i++) counts[sampler.choose(logits)]++;
  [0.125, 0.5, 0.125, 0.25].forEach((p, id) => assert.ok(Math.abs(counts[id] / 20_000 - p) < 0.015, `token ${id}: ${counts[id]}`));
  // Temperature 2 flattens: probabilities ∝ sqrt(p) = 0.354, 0.707, 0.354, 0.5 over 1.914.
  const hot = new TokenSampler({ temperature: 2, topK: 0, topP: 1 }, 6);
  const hotCounts = [0, 0, 0, 0];
  for (let i = 0; i < 20_000; i++) hotCounts[hot.choose(logits)]++;
  [0.354, 0.707, 0.354, 0.5].forEach((w, id) => assert.ok(Math.abs(hotCounts[id] / 20_000 - w / 1.914) < 0.015, `hot token ${id}: ${hotCounts[id]}`));
});

test('draws never leave the top-k / top-p survivors, and a seed repeats its draws', () => {
  const a = new TokenSampler({ temperature: 1.5, topK: 2, topP: 1 }, 9);
  const b = new TokenSampler({ temperature: 1.5, topK: 2, topP: 1 }, 9);
  for (let i = 0; i < 500; i++) {
    const id = a.choose(logits);
    assert.ok(id === 1 || id === 3, `drew ${id}`);
    assert.equal(b.choose(logits), id);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySampling, tailMass } from '../../webview/sampling-explorer';

const close = (actual: readonly number[], expected: readonly number[], why = ''): void => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-4, `[${i}] ${a} ≠ ${expected[i]} ${why}`));
};

// A distribution that sums to 1 over its three tokens, so nothing is cut before the settings act.
const probs = [0.5, 0.3, 0.2];
const plain = { temperature: 1, topK: 3, topP: 1 };

test('temperature 1, no cuts: the distribution is unchanged', () => {
  const out = applySampling(probs, plain);
  close(out.probs, [0.5, 0.3, 0.2]);
  assert.equal(out.kept, 3);
});

test('temperature 0.5 squares the probabilities, then renormalises', () => {
  // 0.25, 0.09, 0.04 over 0.38
  close(applySampling(probs, { ...plain, temperature: 0.5 }).probs, [0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38]);
});

test('temperature 2 takes square roots, flattening the distribution', () => {
  const roots = probs.map(Math.sqrt);
  const total = roots.reduce((a, b) => a + b, 0);
  close(applySampling(probs, { ...plain, temperature: 2 }).probs, roots.map((r) => r / total)); // ≈ .4155 .3218 .2628
});

test('temperature 0 is greedy', () => {
  const out = applySampling(probs, { ...plain, temperature: 0 });
  close(out.probs, [1, 0, 0]);
  assert.equal(out.entropy, 0);
  assert.deepEqual(out.fates, ['kept', 'greedy', 'greedy']);
});

test('top-k 2 keeps the two most likely and renormalises: 0.5/0.8, 0.3/0.8', () => {
  const out = applySampling(probs, { ...plain, topK: 2 });
  close(out.probs, [0.625, 0.375, 0]);
  assert.equal(out.kept, 2);
  assert.deepEqual(out.fates, ['kept', 'kept', 'top-k']);
});

test('top-p keeps tokens while the mass before them is below p', () => {
  // Before each: 0, 0.5, 0.8. With p = 0.8 the third is cut (0.8 is not below 0.8).
  const nucleus = applySampling(probs, { ...plain, topP: 0.8 });
  close(nucleus.probs, [0.625, 0.375, 0]);
  assert.deepEqual(nucleus.fates, ['kept', 'kept', 'top-p']);
  close(applySampling(probs, { ...plain, topP: 0.5 }).probs, [1, 0, 0]);
  close(applySampling(probs, { ...plain, topP: 0.51 }).probs, [0.625, 0.375, 0]);
  close(applySampling(probs, { ...plain, topP: 0 }).probs, [1, 0, 0], 'the most likely token always survives');
});

test('top-p acts on the tempered distribution', () => {
  // T = 0.5 gives .658 .237 .105; before the second is .658 < .9, before the third .895 < .9: all stay.
  assert.equal(applySampling(probs, { temperature: 0.5, topK: 3, topP: 0.9 }).kept, 3);
  // With p = 0.85 the third (before .895) is cut: .25/.34, .09/.34.
  close(applySampling(probs, { temperature: 0.5, topK: 3, topP: 0.85 }).probs, [0.25 / 0.34, 0.09 / 0.34, 0]);
});

test('the K listed tokens are all there is to sample from: the tail is cut, and reported', () => {
  // The top-3 of a bigger vocabulary hold 0.8 of the mass; top-k ≤ K cuts the other 0.2 exactly.
  const partial = [0.4, 0.3, 0.1];
  close(applySampling(partial, { temperature: 1, topK: 3, topP: 1 }).probs, [0.5, 0.375, 0.125]);
  assert.ok(Math.abs(tailMass(partial) - 0.2) < 1e-12);
  assert.equal(tailMass([0.7, 0.31]), 0, 'rounding above 1 is no negative tail');
});

test('unsorted input is handled and answered in input order; entropy is in nats', () => {
  const out = applySampling([0.25, 0.5, 0.25], { temperature: 1, topK: 2, topP: 1 });
  // Top-2 is the 0.5 and the first 0.25 (ties keep input order).
  close(out.probs, [1 / 3, 2 / 3, 0]);
  const uniform = applySampling([0.5, 0.5], { temperature: 1, topK: 2, topP: 1 });
  assert.ok(Math.abs(uniform.entropy - Math.log(2)) < 1e-12);
});

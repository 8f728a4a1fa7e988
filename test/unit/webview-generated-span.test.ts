// What the panel shows of an explained completion's generated tokens: their summary and the context they read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { choseGenerated, contextUse, generatedStats, isGenerated } from '../../webview/generated-span';
import { fixtureInspection } from './webview-fixture';

test('tokens [start, end) are generated; the lens columns one earlier chose them', () => {
  const span = { start: 3, end: 5 };
  assert.deepEqual([2, 3, 4, 5].map((t) => isGenerated(span, t)), [false, true, true, false]);
  assert.deepEqual([1, 2, 3, 4].map((t) => choseGenerated(span, t)), [false, true, true, false]);
  assert.equal(isGenerated(null, 3), false);
});

test('the summary reads each generated token where it was predicted, one position earlier', () => {
  const inspection = fixtureInspection();
  const span = { start: 14, end: 20 };
  const stats = generatedStats(inspection, span);
  const probs = [13, 14, 15, 16, 17, 18].map((p) => inspection.next.prob.data[p]);
  const ranks = [13, 14, 15, 16, 17, 18].map((p) => inspection.next.rank.data[p]);
  assert.equal(stats.count, 6);
  assert.ok(Math.abs(stats.meanProb - probs.reduce((a, b) => a + b) / 6) < 1e-6);
  assert.equal(stats.topGuesses, ranks.filter((r) => r === 0).length);
  assert.equal(stats.weakest?.prob, Math.min(...probs));
  assert.equal(stats.weakest?.position, 14 + probs.indexOf(Math.min(...probs)));
});

test('the context read is the mean attention from the positions that chose the generated tokens', () => {
  // 4 tokens, the last two generated. Position 1 chose token 2, position 2 chose token 3.
  // prettier-ignore
  const pattern = Float32Array.from([ // [query, key]
    1,   0,   0,   0,
    0.5, 0.5, 0,   0,
    0.6, 0.2, 0.2, 0,
    0.1, 0.1, 0.1, 0.7,
  ]);
  const use = contextUse(pattern, 4, { start: 2, end: 4 });
  assert.deepEqual(use.queries, { from: 1, to: 3 });
  assert.deepEqual(Array.from(use.weights, (w) => Number(w.toFixed(6))), [0.55, 0.35, 0.1, 0]);
  assert.ok(Math.abs(use.onPrompt - 0.9) < 1e-6);
});

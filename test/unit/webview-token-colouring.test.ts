import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Inspection } from '../../protocol/inspection';
import { perplexity, tokenStats, tokenValue } from '../../webview/token-colouring';
import { fixtureInspection } from './webview-fixture';

// Three tokens: the model gave the second 1/2 and the third 1/4; nothing follows the last.
const next: Inspection['next'] = {
  prob: { dims: [3], data: new Float32Array([0.5, 0.25, Number.NaN]) },
  rank: { dims: [3], data: new Int32Array([0, 3, -1]) },
};

test('perplexity is exp of the mean negative log-likelihood, skipping the last position', () => {
  // exp((ln 2 + ln 4) / 2) = exp(1.5 ln 2) = 2^1.5
  assert.ok(Math.abs(perplexity(next.prob.data) - 2 ** 1.5) < 1e-9);
  assert.equal(perplexity([1, 1]), 1, 'a model that is always sure has perplexity 1');
  assert.equal(perplexity([0.5, 0]), Number.POSITIVE_INFINITY, 'p = 0 makes it infinite');
  assert.ok(Number.isNaN(perplexity([Number.NaN])), 'a single token predicts nothing');
});

test('token j is coloured by the prediction made at j − 1; the first token has no value', () => {
  assert.ok(Number.isNaN(tokenValue(next, 0, 'probability')));
  assert.equal(tokenValue(next, 1, 'probability'), 0.5);
  assert.equal(tokenValue(next, 2, 'surprisal'), 2, '−log₂ 1/4 = 2 bits');
  assert.equal(tokenValue(next, 2, 'rank'), 3);
  assert.ok(Number.isNaN(tokenValue(next, 3, 'probability')), 'out of range');
});

test('stats count tokens and predictions; mean surprisal in bits is log₂ perplexity', () => {
  const inspection = fixtureInspection();
  const stats = tokenStats(inspection);
  assert.equal(stats.tokens, 23);
  assert.equal(stats.predictions, 22);
  assert.ok(Math.abs(2 ** stats.meanSurprisalBits - stats.perplexity) < 1e-6);
});

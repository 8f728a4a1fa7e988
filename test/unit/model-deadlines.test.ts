// How long the host waits for the model process before it calls it hung: GPT-2 small's deadlines, scaled by
// how much more a bigger model computes per token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadlineScale } from '../../extension/model-client';

const GPT2 = { nLayer: 12, nEmbd: 768, vocabSize: 50257 };

test('GPT-2 small and anything smaller keep the deadlines as they are', () => {
  assert.equal(deadlineScale(GPT2), 1);
  assert.equal(deadlineScale({ ...GPT2, nLayer: 6 }), 1); // distilgpt2
  assert.equal(deadlineScale({ nLayer: 2, nEmbd: 32, vocabSize: 50257 }), 1);
});

test('gpt2-xl gets about 8.8 times as long: 12·L·d² + (L+2)·d·V multiply-adds a token, against GPT-2 small\'s', () => {
  // 12·48·1600² + 50·1600·50257 = 1,474,560,000 + 4,020,560,000; 12·12·768² + 14·768·50257 = 84,934,656 + 540,363,264.
  assert.ok(Math.abs(deadlineScale({ nLayer: 48, nEmbd: 1600, vocabSize: 50257 }) - 5_495_120_000 / 625_297_920) < 1e-9);
  const medium = deadlineScale({ nLayer: 24, nEmbd: 1024, vocabSize: 50257 });
  const large = deadlineScale({ nLayer: 36, nEmbd: 1280, vocabSize: 50257 });
  assert.ok(1 < medium && medium < large && large < 8.8, `${medium}, ${large}`);
});

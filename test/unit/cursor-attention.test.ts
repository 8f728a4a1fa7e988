// Attention from the cursor, against weights worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Token } from '../../protocol/inspection';
import { attendedLevels, cursorToken, sourcePattern } from '../../extension/cursor-attention';

// "The quick fox": tokens at [0,3) [3,9) [9,13).
const tokens: Token[] = [
  { id: 464, text: 'The', start: 0, end: 3 },
  { id: 2068, text: ' quick', start: 3, end: 9 },
  { id: 21831, text: ' fox', start: 9, end: 13 },
];

test('the token at the cursor is the one just typed: the character before the cursor’s', () => {
  assert.equal(cursorToken(tokens, 13), 2, 'after "fox"');
  assert.equal(cursorToken(tokens, 9), 1, 'between "quick" and " fox": quick was just typed');
  assert.equal(cursorToken(tokens, 10), 2, 'inside " fox"');
  assert.equal(cursorToken(tokens, 0), 0, 'at the start: the first token');
  assert.equal(cursorToken(tokens, 20), null, 'past the text');
});

// Packed causal rows for 3 tokens: q0 [1], q1 [a, b], q2 [c, d, e] — two heads.
const layer = (rows: number[]) => ({ dims: [2, 6], data: Float32Array.from(rows) });
const headsA = [1, 0.9, 0.1, 0.5, 0.3, 0.2];
const headsB = [1, 0.1, 0.9, 0.1, 0.1, 0.8];

test('one head, a layer’s mean over heads, or the mean over layers and heads', () => {
  const one = layer([...headsA, ...headsB]);
  assert.deepEqual(Array.from(sourcePattern([one], 1)), headsB.map((x) => Math.fround(x)));
  const mean = sourcePattern([one], null);
  assert.ok(Math.abs(mean[3] - 0.3) < 1e-6 && Math.abs(mean[5] - 0.5) < 1e-6);
  const other = layer([...headsB, ...headsB]);
  const both = sourcePattern([one, other], null);
  assert.ok(Math.abs(both[3] - (0.5 + 0.1 * 3) / 4) < 1e-6, 'the mean of four heads');
});

test('earlier tokens by tint level; the query itself and weights under 2% are left out', () => {
  const pattern = Float32Array.from([1, 0.9, 0.1, 0.45, 0.01, 0.54]);
  assert.deepEqual(attendedLevels(pattern, 2).map(({ index, level }) => ({ index, level })), [{ index: 0, level: 5 }]);
  assert.deepEqual(attendedLevels(pattern, 1).map(({ index, level }) => ({ index, level })), [{ index: 0, level: 5 }]);
  const spread = Float32Array.from([1, 0.5, 0.5, 0.03, 0.12, 0.85]);
  assert.deepEqual(attendedLevels(spread, 2).map((a) => a.level), [1, 3]);
});

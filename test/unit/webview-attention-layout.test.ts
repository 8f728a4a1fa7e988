import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Attention } from '../../protocol/inspection';
import { attentionPairs, headName, headPattern, headThumbnail, heatmapCellSize, lineWidth, maxPool } from '../../webview/attention-layout';

// One layer, two heads, three tokens. Head 0 attends to the previous token, head 1 to the first.
const attention: Attention = {
  hooks: ['blocks.0.attn.hook_pattern'],
  patterns: [
    {
      // Packed causal rows: query q holds keys 0 … q.
      dims: [2, 6],
      data: new Float32Array([
        1, /**/ 1, 0, /**/ 0, 1, 0, // head 0
        1, /**/ 1, 0, /**/ 1, 0, 0, // head 1
      ]),
    },
  ],
};

test('a head pattern is its packed rows unpacked to [query, key]; the mean averages the heads', () => {
  assert.deepEqual(Array.from(headPattern(attention, { layer: 0, head: 0 })), [1, 0, 0, 1, 0, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(headPattern(attention, { layer: 0, head: null })), [1, 0, 0, 1, 0, 0, 0.5, 0.5, 0]);
});

test('max-pooling keeps a thin stripe visible when shrinking, and repeats cells when enlarging', () => {
  const pattern = new Float32Array(16); // 4×4, one strong cell at (3, 1)
  pattern[3 * 4 + 1] = 0.9;
  assert.deepEqual(Array.from(maxPool(pattern, 4, 2)), [0, 0, Math.fround(0.9), 0]);
  assert.deepEqual(Array.from(maxPool(new Float32Array([1, 0, 0.5, 0.5]), 2, 4)), [1, 1, 0, 0, 1, 1, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
});

test('a thumbnail read from the packed rows equals max-pooling the unpacked pattern', () => {
  for (const head of [0, 1, null]) {
    for (const size of [1, 2, 3, 5]) {
      const ref = { layer: 0, head };
      assert.deepEqual(Array.from(headThumbnail(attention, ref, size)), Array.from(maxPool(headPattern(attention, ref), 3, size)), `head ${head}, size ${size}`);
    }
  }
});

test('heatmap cells are as large as fit, within readable bounds', () => {
  assert.equal(heatmapCellSize(20, 400), 20);
  assert.equal(heatmapCellSize(5, 400), 26);
  assert.equal(heatmapCellSize(512, 400), 2);
});

test('the lines view draws a query’s keys above a threshold, strongest first', () => {
  const mean = headPattern(attention, { layer: 0, head: null });
  assert.deepEqual(attentionPairs(mean, 3, 2, 0.1), [
    { query: 2, key: 0, weight: 0.5 },
    { query: 2, key: 1, weight: 0.5 },
  ]);
  assert.equal(attentionPairs(mean, 3, null, 0.1).length, 4);
  assert.equal(attentionPairs(mean, 3, null, 0.1, 2).length, 2, 'capped');
  assert.equal(lineWidth(1), 6);
  assert.equal(lineWidth(0.25), 3);
  assert.equal(lineWidth(0), 0.5, 'hairline floor');
});

test('heads are named by their TransformerLens hook', () => {
  assert.equal(headName({ layer: 0, head: 1 }, attention.hooks, 2), 'blocks.0.attn.hook_pattern · head 1');
  assert.equal(headName({ layer: 0, head: null }, attention.hooks, 2), 'blocks.0.attn.hook_pattern · mean of 2 heads');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headOfLayer, type Attention } from '../../protocol/inspection';
import { attentionPairs, attentionShape, headName, headThumbnail, heatmapCellSize, lineWidth, squarePattern } from '../../webview/attention-layout';

// One layer, two heads, three tokens. Head 0 attends to the previous token, head 1 to the first.
const layer = {
  // Packed causal rows: query q holds keys 0 … q.
  dims: [2, 6],
  data: new Float32Array([
    1, /**/ 1, 0, /**/ 0, 1, 0, // head 0
    1, /**/ 1, 0, /**/ 1, 0, 0, // head 1
  ]),
};

test('a head is cut from its layer packed; the mean averages the heads; drawn, the packed rows are unpacked to [query, key]', () => {
  assert.deepEqual(headOfLayer(layer, 1), { dims: [1, 6], data: new Float32Array([1, 1, 0, 1, 0, 0]) });
  assert.deepEqual(Array.from(squarePattern(headOfLayer(layer, 0))), [1, 0, 0, 1, 0, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(squarePattern(headOfLayer(layer, null))), [1, 0, 0, 1, 0, 0, 0.5, 0.5, 0]);
});

test('thumbnails: a head is its slice of the layer\'s [head + 1, tiles, tiles], the mean the last', () => {
  const tiles = 2;
  const data = Float32Array.from({ length: 3 * tiles * tiles }, (_, i) => i);
  const attention: Attention = { hooks: ['blocks.0.attn.hook_pattern'], thumbnails: [{ dims: [3, tiles, tiles], data }], patterns: [null] };
  assert.deepEqual(attentionShape(attention), { layers: 1, heads: 2 });
  assert.deepEqual(headThumbnail(attention, { layer: 0, head: 1 }), { data: data.subarray(4, 8), tiles });
  assert.deepEqual(Array.from(headThumbnail(attention, { layer: 0, head: null }).data), [8, 9, 10, 11]);
});

test('heatmap cells are as large as fit, within readable bounds', () => {
  assert.equal(heatmapCellSize(20, 400), 20);
  assert.equal(heatmapCellSize(5, 400), 26);
  assert.equal(heatmapCellSize(512, 400), 2);
});

test('the lines view draws a query’s keys above a threshold, strongest first', () => {
  const mean = squarePattern(headOfLayer(layer, null));
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
  const hooks = ['blocks.0.attn.hook_pattern'];
  assert.equal(headName({ layer: 0, head: 1 }, hooks, 2), 'blocks.0.attn.hook_pattern · head 1');
  assert.equal(headName({ layer: 0, head: null }, hooks, 2), 'blocks.0.attn.hook_pattern · mean of 2 heads');
});
